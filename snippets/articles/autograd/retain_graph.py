"""Runs shown on the retain_graph page; each function's body is a listing with its
output."""

import gc

import torch
from matplotlib.figure import Figure
from torch import nn

from snippets.autograd.saved_bytes import SavedBytes
from snippets.build import figure, output, values


@output("retain-twice-error", page="autograd/retain-graph", raises="RuntimeError")
def backward_twice():
    # --8<-- [start:twice]
    import torch

    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward()
    print("first backward: x.grad =", x.grad)
    loss.backward()  # the saved tensors are gone
    # --8<-- [end:twice]


@output("retain-twice-ok", page="autograd/retain-graph")
def backward_twice_retained():
    # --8<-- [start:twice-retained]
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    print("after one backward: ", x.grad)
    loss.backward()
    print("after two backwards:", x.grad, "(accumulated: twice the gradient)")
    # --8<-- [end:twice-retained]


@output("retain-accumulate", page="autograd/retain-graph")
def accumulation():
    # --8<-- [start:accumulate]
    from torch import nn

    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    X, y = torch.randn(32, 4), torch.randn(32, 1)
    loss_fn = nn.MSELoss()

    # the whole batch at once
    model.zero_grad()
    loss_fn(model(X), y).backward()
    full = model.weight.grad.clone()

    # four micro-batches of 8: .grad adds up, so scale each loss by 1/4
    model.zero_grad()  # or: for p in model.parameters(): p.grad = None
    for Xb, yb in zip(X.split(8), y.split(8), strict=True):
        (loss_fn(model(Xb), yb) / 4).backward()
    print("full batch:      ", full)
    print("4 micro-batches: ", model.weight.grad)
    print("equal:", torch.allclose(full, model.weight.grad, atol=1e-6))
    # --8<-- [end:accumulate]


@output("retain-accumulate-caveats", page="autograd/retain-graph")
def accumulation_caveats():
    # --8<-- [start:accumulate-caveats]
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    X, y = torch.randn(30, 4), torch.randn(30, 1)
    loss_fn = nn.MSELoss()  # the mean over the samples of one micro-batch

    model.zero_grad()
    loss_fn(model(X), y).backward()
    full = model.weight.grad.clone()

    sizes = [8, 8, 8, 6]  # 30 samples: the last micro-batch is smaller
    for scale in ("1/4", "len/30"):
        model.zero_grad()
        for Xb, yb in zip(X.split(sizes), y.split(sizes), strict=True):
            weight = 1 / len(sizes) if scale == "1/4" else len(Xb) / len(X)
            (loss_fn(model(Xb), yb) * weight).backward()
        diff = (model.weight.grad - full).abs().max().item()
        print(f"each loss times {scale:>6}: max |difference| = {diff:.1e}")

    torch.manual_seed(0)
    bn = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 1))
    X, y = torch.randn(32, 4), torch.randn(32, 1)
    bn.zero_grad()
    loss_fn(bn(X), y).backward()
    full = bn[0].weight.grad.clone()
    bn.zero_grad()
    for Xb, yb in zip(X.split(8), y.split(8), strict=True):
        (loss_fn(bn(Xb), yb) / 4).backward()  # normalised with its own 8 samples
    diff = (bn[0].weight.grad - full).abs().max().item()
    print(f"BatchNorm, 4 micro-batches of 8:  max |difference| = {diff:.1e}")
    # --8<-- [end:accumulate-caveats]


@output("retain-two-losses", page="autograd/retain-graph")
def two_losses():
    # --8<-- [start:two-losses]
    torch.manual_seed(0)
    w = torch.randn(3, requires_grad=True)
    h = torch.tanh(w * 2)  # shared by both losses
    loss_a, loss_b = h.sum(), (h**2).mean()

    loss_a.backward(retain_graph=True)  # two passes: the shared part is traversed twice
    loss_b.backward()
    two_passes = w.grad.clone()

    w.grad = None
    h = torch.tanh(w * 2)
    (h.sum() + (h**2).mean()).backward()  # one pass, nothing retained
    print("two backward calls:", two_passes)
    print("one backward call: ", w.grad)

    w.grad = None
    h = torch.tanh(w * 2)
    # values returned, nothing accumulated; the graph is kept for the second call only
    (ga,) = torch.autograd.grad(h.sum(), w, retain_graph=True)
    (gb,) = torch.autograd.grad((h**2).mean(), w)
    print("autograd.grad, twice:", ga + gb, " w.grad:", w.grad)
    # --8<-- [end:two-losses]


@output("retain-gan-smell", page="autograd/retain-graph", raises="RuntimeError")
def gan_without_detach():
    # --8<-- [start:gan-smell]
    torch.manual_seed(0)
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    bce = nn.BCEWithLogitsLoss()
    real, noise = torch.randn(16, 2), torch.randn(16, 2)

    fake = G(noise)
    d_loss = bce(D(real), torch.ones(16, 1)) + bce(D(fake), torch.zeros(16, 1))
    d_loss.backward()  # also walks back into G, and frees G's part of the graph
    g_loss = bce(D(fake), torch.ones(16, 1))
    g_loss.backward()  # G's part is gone
    # --8<-- [end:gan-smell]


@output("retain-gan", page="autograd/retain-graph")
def gan_with_detach():
    # --8<-- [start:gan]
    torch.manual_seed(0)
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    opt_g = torch.optim.SGD(G.parameters(), lr=0.1)
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)
    bce = nn.BCEWithLogitsLoss()
    real, noise = torch.randn(16, 2), torch.randn(16, 2)

    fake = G(noise)
    opt_d.zero_grad()
    d_loss = bce(D(real), torch.ones(16, 1)) + bce(D(fake.detach()), torch.zeros(16, 1))
    d_loss.backward()  # stops at fake.detach(): G's graph untouched, G.grad stays empty
    opt_d.step()
    print("after the D step, G.weight.grad is", G.weight.grad)

    opt_g.zero_grad()
    g_loss = bce(D(fake), torch.ones(16, 1))  # D's new weights, G's graph still there
    g_loss.backward()
    opt_g.step()
    norm = round(G.weight.grad.norm().item(), 4)
    print("G step done without retain_graph; G.weight.grad norm:", norm)
    # --8<-- [end:gan]


@output("retain-gan-inplace", page="autograd/retain-graph", raises="RuntimeError")
def gan_retained_then_stepped():
    # --8<-- [start:gan-inplace]
    torch.manual_seed(0)
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)
    bce = nn.BCEWithLogitsLoss()
    real, noise = torch.randn(16, 2), torch.randn(16, 2)
    ones, zeros = torch.ones(16, 1), torch.zeros(16, 1)

    fake = G(noise)
    d_fake = D(fake)
    d_loss = bce(D(real), ones) + bce(d_fake, zeros)
    d_loss.backward(retain_graph=True)  # "fixes" the first error
    opt_d.step()  # changes D.weight in place; d_fake's graph saved D.weight itself
    g_loss = bce(d_fake, ones)  # reuses D's output from before the step
    g_loss.backward()
    # --8<-- [end:gan-inplace]


# --8<-- [start:rnn]
def train_chunks(detach: bool):
    """Three consecutive chunks of 4 sequences through an RNN, state carried over."""
    torch.manual_seed(0)
    rnn, head = nn.RNN(3, 8, batch_first=True), nn.Linear(8, 1)
    opt = torch.optim.SGD([*rnn.parameters(), *head.parameters()], lr=0.1)
    h = torch.zeros(1, 4, 8)  # (layers, batch, hidden)
    for chunk in range(3):  # consecutive chunks of the same 4 long sequences
        x, y = torch.randn(4, 5, 3), torch.randn(4, 1)  # (batch, time, features)
        if detach:
            h = h.detach()  # keep the state's values, cut the previous chunk's graph
        out, h = rnn(x, h)
        loss = nn.functional.mse_loss(head(out[:, -1]), y)
        opt.zero_grad()
        loss.backward()  # without detach: walks into the previous chunk's freed graph
        opt.step()
        print(f"chunk {chunk + 1}: loss {loss.item():.4f}")


# --8<-- [end:rnn]


@output("retain-rnn-error", page="autograd/retain-graph", raises="RuntimeError")
def rnn_without_detach():
    # --8<-- [start:rnn-error]
    train_chunks(detach=False)
    # --8<-- [end:rnn-error]


@output("retain-rnn", page="autograd/retain-graph")
def rnn_with_detach():
    # --8<-- [start:rnn-detach]
    train_chunks(detach=True)
    # --8<-- [end:rnn-detach]


@output("retain-second-derivative", page="autograd/retain-graph")
def second_derivative():
    # --8<-- [start:second]
    x = torch.tensor(3.0, requires_grad=True)
    y = x**3
    (dy,) = torch.autograd.grad(y, x, create_graph=True)  # 3x², itself differentiable
    (d2y,) = torch.autograd.grad(dy, x)  # 6x
    print(f"at x = {x.item()}: dy/dx = {dy.item()} (3x²), d²y/dx² = {d2y.item()} (6x)")
    # --8<-- [end:second]


# --8<-- [start:hvp]
def hessian_vector_product(fn, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """H v without forming H: the gradient of (∇f · v), with create_graph=True."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(fn(x), x, create_graph=True)
    (hv,) = torch.autograd.grad(grad @ v, x)
    return hv


def rosenbrock(x: torch.Tensor) -> torch.Tensor:
    return ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum()


# --8<-- [end:hvp]


@output("retain-hvp", page="autograd/retain-graph")
def hvp_check():
    # --8<-- [start:hvp-check]
    x = torch.tensor([0.5, -1.0, 2.0, 1.5], dtype=torch.float64)
    v = torch.tensor([1.0, 0.0, -1.0, 2.0], dtype=torch.float64)
    ours = hessian_vector_product(rosenbrock, x, v)
    _, reference = torch.autograd.functional.hvp(rosenbrock, x, v)
    print("ours:     ", ours)
    print("functional.hvp:", reference)
    print("equal:", torch.allclose(ours, reference))
    # --8<-- [end:hvp-check]


HIDDEN, STEPS = 512, 8


def _mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(256, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, 1),
    )


@values("retain-memory", page="autograd/retain-graph")
def memory_held() -> dict:
    """Bytes of saved tensors held after k forward+backward passes, retaining graphs or
    not."""
    model, X = _mlp(), torch.randn(64, 256, generator=torch.Generator().manual_seed(1))
    result = {
        "batch": 64,
        "inputs": X.shape[1],
        "hidden": HIDDEN,
        "kept": STEPS,
        "steps": list(range(STEPS + 1)),
    }
    for mode in ("retain", "free", "retain_all"):
        # parameters and the input live anyway: count what the graphs add, except in
        # "retain_all", which counts every storage the retained graphs point to
        exclude = () if mode == "retain_all" else [*model.parameters(), X]
        counter, kept, held = SavedBytes(exclude), [], [0]
        for _ in result["steps"][1:]:
            with counter.track():
                loss = model(X).square().mean()
            loss.backward(retain_graph=(mode != "free"))
            # a list of losses, as a training loop that logs them might keep
            kept.append(loss)
            gc.collect()
            held.append(counter.held)
        result[mode] = held
    result["per_graph_mb"] = result["retain"][1] / 2**20
    result["retained_mb"] = result["retain"][-1] / 2**20
    result["free_mb"] = result["free"][-1] / 2**20
    result["retained_all_mb"] = result["retain_all"][-1] / 2**20
    # what the graphs point to that lives anyway: a weight, the input
    result["shared_mb"] = result["retained_all_mb"] - result["retained_mb"]
    return result


@figure("retain-memory-figure", page="autograd/retain-graph", needs=("retain-memory",))
def memory_figure(theme, retain_memory) -> Figure:
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.subplots()
    steps = retain_memory["steps"]
    retained = [b / 2**20 for b in retain_memory["retain"]]
    freed = [b / 2**20 for b in retain_memory["free"]]
    ax.plot(steps, retained, marker="o", label="backward(retain_graph=True)")
    ax.plot(steps, freed, marker="o", label="backward()")
    ax.set(
        xlabel=theme.text(
            ko="순전파 + 역전파 반복 횟수",
            en="forward + backward passes",
        ),
        ylabel=theme.text(
            ko="그래프가 붙잡은 활성값 (MiB)", en="activations held by graphs (MiB)"
        ),
    )
    ax.legend(loc="upper left")
    return fig
