"""The GELU article (/activations/gelu/): its listings and every build job of the page.

The GELU functions themselves are a library module, :mod:`snippets.activations.gelu`.
Here: runs whose printed output the page shows, the numbers in the prose, the figures,
and a small experiment (the same MLP trained on scikit-learn's digits with ReLU and with
GELU; each (activation, seed) pair trains from its own seeded initialisation and batch
order on the same train/test split, and the page reports the median and the spread over
seeds).
"""

import statistics

import torch.nn.functional as F
from matplotlib.figure import Figure

from snippets.activations.gelu import (
    gelu,
    gelu_derivative,
    gelu_sigmoid,
    gelu_tanh,
    normal_cdf,
)
from snippets.build import figure, output, track, values

# isort: split
# --8<-- [start:imports]
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

# --8<-- [end:imports]


@output("gelu-table", page="activations/gelu")
def compare_with_pytorch():
    # --8<-- [start:table]
    import torch.nn.functional as F

    x = torch.tensor([-3, -2, -1, -0.5, 0, 0.5, 1, 2, 3], dtype=torch.float64)
    columns = {
        "gelu": gelu(x),
        "F.gelu": F.gelu(x),
        "tanh": gelu_tanh(x),
        "sigmoid": gelu_sigmoid(x),
    }
    print("    x" + "".join(f"{name:>10}" for name in columns))
    for i, xi in enumerate(x):
        print(f"{xi:5.1f}" + "".join(f"{col[i]:10.4f}" for col in columns.values()))

    exact_gap = (gelu(x) - F.gelu(x)).abs().max().item()
    tanh_gap = (gelu_tanh(x) - F.gelu(x, approximate="tanh")).abs().max().item()
    print("max |gelu - F.gelu| =", exact_gap)
    print("max |gelu_tanh - F.gelu(approximate='tanh')| =", tanh_gap)
    # --8<-- [end:table]


@output("gelu-bernoulli", page="activations/gelu")
def stochastic_view():
    # --8<-- [start:bernoulli]
    torch.manual_seed(0)
    n = 200_000
    for x in (-1.0, 0.5, 2.0):
        xs = torch.full((n,), x, dtype=torch.float64)
        keep = torch.bernoulli(normal_cdf(xs))  # 1 with probability Φ(x), else 0
        sample_mean = (xs * keep).mean().item()
        print(
            f"x = {x:4.1f}:  mean of x·m = {sample_mean:.4f},  "
            f"gelu(x) = {gelu(xs[0]):.4f}"
        )
    # --8<-- [end:bernoulli]


@output("gelu-derivative-check", page="activations/gelu")
def derivative_check():
    # --8<-- [start:autograd]
    x = torch.linspace(-4, 4, 801, dtype=torch.float64, requires_grad=True)
    gelu(x).sum().backward()  # elementwise, so x.grad = GELU'(x)
    formula = gelu_derivative(x.detach())
    print("max |autograd - formula| =", (x.grad - formula).abs().max().item())
    # --8<-- [end:autograd]


@output("gelu-int-input", page="activations/gelu", raises="ValueError")
def integer_input():
    # --8<-- [start:int-input]
    gelu(torch.arange(3))  # integer tensor
    # --8<-- [end:int-input]


@values("gelu-numbers", page="activations/gelu")
def approximation_errors():
    """Max errors of both approximations, and the shape of GELU and its derivative."""
    x = torch.linspace(-8, 8, 1_600_001, dtype=torch.float64)  # step 1e-5
    exact = gelu(x)
    out = {}
    for name, approx in (("tanh", gelu_tanh), ("sigmoid", gelu_sigmoid)):
        err = (approx(x) - exact).abs()
        i = int(err.argmax())
        out[name] = {"max_err": err[i].item(), "at": abs(x[i].item())}
    out["error_ratio"] = out["sigmoid"]["max_err"] / out["tanh"]["max_err"]
    i = int(exact.argmin())
    out["minimum"] = {"value": exact[i].item(), "at": x[i].item()}
    silu = F.silu(x)  # x σ(x): SiLU dips deeper, and further out
    i = int(silu.argmin())
    out["silu_minimum"] = {"value": silu[i].item(), "at": x[i].item()}
    d = gelu_derivative(x)
    out["derivative"] = {
        "max": d.max().item(),
        "max_at": x[int(d.argmax())].item(),
        "min": d.min().item(),
        "min_at": x[int(d.argmin())].item(),
    }
    # PyTorch's own tanh variant against ours, in float32 as models use it
    x32 = x.float()
    out["torch_tanh_vs_ours_float32"] = (
        (F.gelu(x32, approximate="tanh") - gelu_tanh(x32)).abs().max().item()
    )
    out["torch_exact_vs_ours_float32"] = (F.gelu(x32) - gelu(x32)).abs().max().item()
    return out


CURVES = {"GELU": gelu, "ReLU": F.relu, "ELU": F.elu, "SiLU": F.silu}


@figure("gelu-activations", page="activations/gelu")
def activations(theme) -> Figure:
    x = torch.linspace(-4, 3, 701, dtype=torch.float64)
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    for name, fn in CURVES.items():
        style = "--" if name == "ReLU" else "-"  # ELU lies on ReLU for x > 0
        ax.plot(x, fn(x), style, label=name, linewidth=2.2 if name == "GELU" else 1.4)
    ax.axhline(0, color=theme.muted, linewidth=0.8)
    ax.axvline(0, color=theme.muted, linewidth=0.8)
    ax.set(
        xlabel=theme.text(ko="입력 x", en="input x"),
        ylabel=theme.text(ko="출력 f(x)", en="output f(x)"),
        ylim=(-1.2, 3.0),
    )
    ax.legend(loc="upper left")
    return fig


@figure("gelu-derivatives", page="activations/gelu")
def derivatives(theme) -> Figure:
    x = torch.linspace(-4, 3, 701, dtype=torch.float64, requires_grad=True)
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    for name, fn in CURVES.items():
        (grad,) = torch.autograd.grad(fn(x).sum(), x)  # elementwise: grad = f'(x)
        style = "--" if name == "ReLU" else "-"
        width = 2.2 if name == "GELU" else 1.4
        ax.plot(x.detach(), grad, style, label=name, linewidth=width)
    ax.axhline(0, color=theme.muted, linewidth=0.8)
    ax.axhline(1, color=theme.muted, linewidth=0.8, linestyle=":")
    ax.set(
        xlabel=theme.text(ko="입력 x", en="input x"),
        ylabel=theme.text(ko="도함수 f′(x)", en="derivative f′(x)"),
        ylim=(-0.3, 1.25),
    )
    ax.legend(loc="upper left")
    return fig


@figure("gelu-approx-error", page="activations/gelu")
def approximation_error(theme) -> Figure:
    x = torch.linspace(-6, 6, 1201, dtype=torch.float64)
    exact = gelu(x)
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    ax.plot(
        x, (gelu_tanh(x) - exact).abs(), label=theme.text(ko="tanh 근사", en="tanh")
    )
    ax.plot(
        x,
        (gelu_sigmoid(x) - exact).abs(),
        label=theme.text(ko="시그모이드 근사", en="sigmoid"),
    )
    ax.set_yscale("log")
    ax.set(
        xlabel=theme.text(ko="입력 x", en="input x"),
        ylabel=theme.text(ko="근사 오차 |근사 − GELU|", en="|approx − GELU|"),
        ylim=(1e-9, 1),
    )
    ax.legend(loc="upper center", ncols=2)
    return fig


SEEDS = (0, 1, 2, 3, 4)
EPOCHS = 30
ACTIVATIONS = {"ReLU": nn.ReLU, "GELU": nn.GELU}


# --8<-- [start:data]
def load_data(split_seed: int = 0):
    """Digits (1,797 images of 8×8 pixels, 10 classes), 75 % train / 25 % test."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=split_seed
    )
    scaler = StandardScaler().fit(X_train)  # statistics of the training images only

    def tensors(X, y):
        return torch.tensor(scaler.transform(X), dtype=torch.float32), torch.tensor(y)

    return tensors(X_train, y_train), tensors(X_test, y_test)


# --8<-- [end:data]


# --8<-- [start:model]
def make_mlp(activation: type[nn.Module], hidden: int = 128) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(64, hidden),
        activation(),
        nn.Linear(hidden, hidden),
        activation(),
        nn.Linear(hidden, 10),
    )


# --8<-- [end:model]


# --8<-- [start:train]
def train(
    model,
    train_data,
    test_data,
    *,
    epochs: int,
    seed: int,
    batch_size: int = 64,
    lr: float = 1e-3,
):
    """Adam on cross-entropy; returns the test accuracy after every epoch."""
    X, y = train_data
    X_test, y_test = test_data
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    accuracies = []
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(X), generator=generator).split(batch_size):
            loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracies.append((model(X_test).argmax(1) == y_test).float().mean().item())
    return accuracies


# --8<-- [end:train]


@output("gelu-digits-one-run", page="activations/gelu")
def one_run():
    # --8<-- [start:one-run]
    train_data, test_data = load_data()
    torch.manual_seed(0)
    model = make_mlp(nn.GELU)
    accuracies = train(model, train_data, test_data, epochs=10, seed=0)
    print("test accuracy by epoch:", " ".join(f"{a:.3f}" for a in accuracies))
    # --8<-- [end:one-run]


def run(activation_name: str, seed: int, epochs: int = EPOCHS) -> list[float]:
    if activation_name not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}, got {activation_name!r}"
        )
    train_data, test_data = load_data()
    torch.manual_seed(seed)
    model = make_mlp(ACTIVATIONS[activation_name])
    return train(model, train_data, test_data, epochs=epochs, seed=seed)


@values("gelu-digits", page="activations/gelu", quick={"epochs": 2, "seeds": (0,)})
def experiment(epochs=EPOCHS, seeds=SEEDS) -> dict:
    (X_train, _), (X_test, _) = load_data()
    result = {
        "epochs": epochs,
        "seeds": len(seeds),
        "n_train": len(X_train),
        "n_test": len(X_test),
    }
    runs = [(name, seed) for name in ACTIVATIONS for seed in seeds]
    curves = {name: [] for name in ACTIVATIONS}
    for name, seed in track(runs, "training run"):
        curves[name].append(run(name, seed, epochs))
    for name, per_seed in curves.items():
        final = [c[-1] for c in per_seed]
        result[name.lower()] = {
            "curves": per_seed,
            "final": final,
            "median": statistics.median(final),
            "min": min(final),
            "max": max(final),
            "best_epoch_median": statistics.median(
                max(range(epochs), key=c.__getitem__) + 1 for c in per_seed
            ),
        }
    result["difference_pp"] = 100 * (
        result["gelu"]["median"] - result["relu"]["median"]
    )
    # the same difference counted in test images
    result["difference_images"] = round(
        abs(result["gelu"]["median"] - result["relu"]["median"]) * len(X_test)
    )
    spread = max(
        result["gelu"]["max"] - result["gelu"]["min"],
        result["relu"]["max"] - result["relu"]["min"],
    )
    result["spread_pp"] = 100 * spread
    return result


@figure("gelu-digits-curves", page="activations/gelu", needs=("gelu-digits",))
def accuracy_curves(theme, gelu_digits) -> Figure:
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    epochs = range(1, gelu_digits["epochs"] + 1)
    for name in ACTIVATIONS:
        color = theme.colors[list(CURVES).index(name)]  # as in the other plots
        per_seed = gelu_digits[name.lower()]["curves"]
        curves = torch.tensor(per_seed) * 100  # (seeds, epochs)
        low, high = curves.min(0).values, curves.max(0).values
        ax.fill_between(epochs, low, high, color=color, alpha=0.25, linewidth=0)
        ax.plot(
            epochs,
            curves.median(0).values,
            color=color,
            label=theme.text(
                ko=f"{name} (중앙값, 최솟값–최댓값)", en=f"{name} (median, min–max)"
            ),
        )
    ax.set(
        xlabel=theme.text(ko="에폭", en="epoch"),
        ylabel=theme.text(ko="테스트 정확도 (%)", en="test accuracy (%)"),
        ylim=(None, 100),  # from the first epoch's accuracy
    )
    ax.legend(loc="lower right")
    return fig
