"""A small real experiment: the same MLP trained on scikit-learn's digits with ReLU and with GELU.

Each (activation, seed) pair trains from its own seeded initialisation and batch order on the
same train/test split; the page reports the median and the spread over seeds.
"""

import statistics

from matplotlib.figure import Figure

from snippets.build import figure, output, track, values

# isort: split
# --8<-- [start:imports]
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

# --8<-- [end:imports]

SEEDS = (0, 1, 2, 3, 4)
EPOCHS = 30
ACTIVATIONS = {"ReLU": nn.ReLU, "GELU": nn.GELU}


# --8<-- [start:data]
def load_data(split_seed: int = 0):
    """Digits (1,797 images of 8×8 pixels, 10 classes), 75 % train / 25 % test."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=split_seed)
    scaler = StandardScaler().fit(X_train)  # statistics of the training images only

    def tensors(X, y):
        return torch.tensor(scaler.transform(X), dtype=torch.float32), torch.tensor(y)

    return tensors(X_train, y_train), tensors(X_test, y_test)
# --8<-- [end:data]


# --8<-- [start:model]
def make_mlp(activation: type[nn.Module], hidden: int = 128) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(64, hidden), activation(),
        nn.Linear(hidden, hidden), activation(),
        nn.Linear(hidden, 10),
    )
# --8<-- [end:model]


# --8<-- [start:train]
def train(model, train_data, test_data, *, epochs: int, seed: int, batch_size: int = 64, lr: float = 1e-3):
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
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation_name!r}")
    train_data, test_data = load_data()
    torch.manual_seed(seed)
    model = make_mlp(ACTIVATIONS[activation_name])
    return train(model, train_data, test_data, epochs=epochs, seed=seed)


@values("gelu-digits", page="activations/gelu")
def experiment() -> dict:
    (X_train, _), (X_test, _) = load_data()
    result = {"epochs": EPOCHS, "seeds": len(SEEDS), "n_train": len(X_train), "n_test": len(X_test)}
    runs = [(name, seed) for name in ACTIVATIONS for seed in SEEDS]
    curves = {name: [] for name in ACTIVATIONS}
    for name, seed in track(runs, "training run"):
        curves[name].append(run(name, seed))
    for name, per_seed in curves.items():
        final = [c[-1] for c in per_seed]
        result[name.lower()] = {
            "curves": per_seed,
            "final": final,
            "median": statistics.median(final),
            "min": min(final),
            "max": max(final),
            "best_epoch_median": statistics.median(max(range(EPOCHS), key=c.__getitem__) + 1 for c in per_seed),
        }
    result["difference_pp"] = 100 * (result["gelu"]["median"] - result["relu"]["median"])
    spread = max(result["gelu"]["max"] - result["gelu"]["min"], result["relu"]["max"] - result["relu"]["min"])
    result["spread_pp"] = 100 * spread
    return result


@figure("gelu-digits-curves", page="activations/gelu", needs=("gelu-digits",))
def accuracy_curves(theme, gelu_digits) -> Figure:
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    epochs = range(1, gelu_digits["epochs"] + 1)
    for name, color in zip(ACTIVATIONS, theme.colors, strict=False):
        curves = torch.tensor(gelu_digits[name.lower()]["curves"]) * 100  # (seeds, epochs)
        ax.fill_between(epochs, curves.min(0).values, curves.max(0).values, color=color, alpha=0.25, linewidth=0)
        ax.plot(epochs, curves.median(0).values, color=color, label=f"{name} (median, min–max)")
    ax.set(xlabel="epoch", ylabel="test accuracy (%)", ylim=(90, 100))
    ax.legend(loc="lower right")
    return fig
