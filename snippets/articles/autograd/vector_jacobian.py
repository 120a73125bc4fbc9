"""The vector-Jacobian article (/autograd/vector-jacobian/): listings and build jobs.

The function ``f``, its hand-written Jacobian and the row-by-row Jacobian live in the
library module :mod:`snippets.autograd.vjp`. Here: the runs whose output the page shows,
the Jacobian heatmap and the VJP-as-row-combination figures, and what a whole Jacobian
costs: one reverse pass per output row against vmapped reverse mode
(``torch.func.jacrev``) and vmapped forward mode (``torch.func.jacfwd``), when the
inputs outnumber the outputs and the other way round, measured at build time on the
build machine.
"""

import torch
from matplotlib.figure import Figure
from torch.autograd.functional import jacobian
from torch.func import jacfwd, jacrev
from torch.utils import benchmark

from snippets.autograd.vjp import f, f_jacobian, jacobian_by_rows
from snippets.build import figure, output, track, values
from snippets.threads import torch_threads


@output("vjp-scalar", page="autograd/vector-jacobian")
def scalar_backward():
    # --8<-- [start:scalar]
    import torch

    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x**2).sum()  # a scalar
    loss.backward()
    print(x.grad)  # d loss / dx = 2x
    # --8<-- [end:scalar]


@output("vjp-vector-error", page="autograd/vector-jacobian", raises="RuntimeError")
def vector_backward():
    # --8<-- [start:vector-error]
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x**2  # a vector: which combination of its gradients should backward() compute?
    y.backward()
    # --8<-- [end:vector-error]


@output("vjp-jacobian", page="autograd/vector-jacobian")
def show_jacobian():
    # --8<-- [start:jacobian]
    from torch.autograd.functional import jacobian

    x = torch.tensor([1.0, 2.0, 3.0])
    J = jacobian(f, x)
    print(J)
    print("matches the hand-written Jacobian:", torch.allclose(J, f_jacobian(x)))
    # --8<-- [end:jacobian]


@output("vjp-backward", page="autograd/vector-jacobian")
def vjp_with_backward():
    # --8<-- [start:vjp]
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = torch.tensor([1.0, -2.0])
    y = f(x)
    y.backward(gradient=v)
    print("x.grad =", x.grad)
    print("v @ J  =", v @ jacobian(f, x.detach()))
    # --8<-- [end:vjp]


@output("vjp-func", page="autograd/vector-jacobian")
def vjp_and_jvp():
    # --8<-- [start:func]
    from torch.func import jvp, vjp

    x = torch.tensor([1.0, 2.0, 3.0])
    J = jacobian(f, x)

    y, vjp_fn = vjp(f, x)  # reverse mode: v ∈ R², result ∈ R³
    (vJ,) = vjp_fn(torch.tensor([1.0, -2.0]))
    print("VJP  vᵀJ:", vJ, " check:", torch.allclose(vJ, torch.tensor([1.0, -2.0]) @ J))

    u = torch.tensor([1.0, 0.0, 1.0])  # forward mode: u ∈ R³, result ∈ R²
    _, Ju = jvp(f, (x,), (u,))
    print("JVP  J u:", Ju, " check:", torch.allclose(Ju, J @ u))

    _, Ju_functional = torch.autograd.functional.jvp(f, x, u)
    print("torch.autograd.functional.jvp agrees:", torch.allclose(Ju, Ju_functional))
    # --8<-- [end:func]


@output("vjp-ones", page="autograd/vector-jacobian")
def ones_versus_sum():
    # --8<-- [start:ones]
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    f(x).backward(torch.ones(2))
    with_ones = x.grad.clone()

    x.grad = None
    f(x).sum().backward()
    print("backward(ones):", with_ones, " sum().backward():", x.grad)

    x.grad = None
    f(x).backward(torch.tensor([0.0, 1.0]))  # v = (0, 1) picks the second row of J
    print("v = (0, 1):", x.grad)
    # --8<-- [end:ones]


@output("vjp-methods", page="autograd/vector-jacobian")
def jacobian_methods():
    # --8<-- [start:methods]
    from torch.func import jacfwd, jacrev

    x = torch.tensor([1.0, 2.0, 3.0])
    results = {
        "one reverse pass per row": jacobian_by_rows(f, x),
        "jacobian(vectorize=True)": jacobian(f, x, vectorize=True),
        "torch.func.jacrev": jacrev(f)(x),
        "torch.func.jacfwd": jacfwd(f)(x),
    }
    for name, J in results.items():
        same = torch.allclose(J, f_jacobian(x))
        print(f"{name:26} equal to the hand-written J: {same}")
    # --8<-- [end:methods]


@output("vjp-chain", page="autograd/vector-jacobian")
def chained_vjps():
    # --8<-- [start:chain]
    from torch.func import jacrev, vjp

    torch.manual_seed(0)
    W1, W2 = torch.randn(5, 3), torch.randn(2, 5)

    def layer1(x):  # R³ → R⁵
        return torch.tanh(W1 @ x)

    def layer2(h):  # R⁵ → R²
        return W2 @ h

    x, v = torch.randn(3), torch.tensor([1.0, -2.0])
    h, vjp1 = vjp(layer1, x)  # forward through each layer, keeping its VJP
    y, vjp2 = vjp(layer2, h)
    (vJ2,) = vjp2(v)  # vᵀJ₂: shape (5,), like h
    (g,) = vjp1(vJ2)  # (vᵀJ₂)J₁: shape (3,), like x
    print("two VJPs, back to front:", g)

    x.requires_grad_(True)
    layer2(layer1(x)).backward(gradient=v)
    print("backward(gradient=v):   ", x.grad)
    J1, J2 = jacrev(layer1)(x.detach()), jacrev(layer2)(h)  # (5, 3) and (2, 5)
    print("vᵀ J₂ J₁, J formed:     ", v @ J2 @ J1)
    # --8<-- [end:chain]


@output("vjp-batched", page="autograd/vector-jacobian")
def batched_and_matrix_outputs():
    # --8<-- [start:batched]
    from torch.func import jacrev, vjp

    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = f(x)  # (2,)
    V = torch.eye(2)  # one v per row of J, stacked: (2, 2)
    (J,) = torch.autograd.grad(y, x, grad_outputs=V, is_grads_batched=True)
    print("J from one batched call:\n", J)

    torch.manual_seed(0)
    X = torch.randn(2, 3)

    def gram(X):  # (2, 3) -> (2, 2)
        return X @ X.T

    Y, vjp_gram = vjp(gram, X)
    (g,) = vjp_gram(torch.ones_like(Y))  # v has the output's shape, the VJP the input's
    print("output", tuple(Y.shape), "-> VJP", tuple(g.shape))
    shape = tuple(jacrev(gram)(X).shape)
    print("whole Jacobian:", shape, "= output shape + input shape")
    # --8<-- [end:batched]


X = torch.tensor([1.0, 2.0, 3.0])
V = torch.tensor([1.0, -2.0])
SUB = "₀₁₂₃₄₅₆₇₈₉"  # subscript digits


def _matrix(ax, M, theme, labels_x, labels_y, vmax):
    ax.imshow(M, cmap=theme.diverging, vmin=-vmax, vmax=vmax)
    rows, cols = torch.arange(M.shape[0]), torch.arange(M.shape[1])
    cells = torch.cartesian_prod(rows, cols).tolist()
    for (i, j), value in zip(cells, M.flatten().tolist(), strict=True):
        strong = abs(value) > 0.6 * vmax  # white on the darkest cells
        color = "white" if strong else "black"
        text = theme.number(value, ".2f")  # "−2.00", the minus of the tick labels
        ax.text(j, i, text, ha="center", va="center", color=color, fontsize=10)
    ax.set_xticks(range(M.shape[1]), labels_x)
    ax.set_yticks(range(M.shape[0]), labels_y)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


@figure("vjp-jacobian-heatmap", page="autograd/vector-jacobian", format="png")
def jacobian_heatmap(theme) -> Figure:
    J = f_jacobian(X)
    fig = Figure(figsize=(4.8, 2.4))
    ax = fig.subplots()
    labels_x = [f"∂/∂x{SUB[i]}" for i in range(1, 4)]  # 1-based, as in the formulas
    labels_y = [f"y{SUB[i]}" for i in range(1, 3)]
    _matrix(ax, J, theme, labels_x, labels_y, J.abs().max().item())
    ax.set_title(
        theme.text(ko="x = (1, 2, 3)에서 J = ∂y/∂x", en="J = ∂y/∂x at x = (1, 2, 3)")
    )
    return fig


@figure("vjp-row-combination", page="autograd/vector-jacobian", format="png")
def row_combination(theme) -> Figure:
    J = f_jacobian(X)
    vJ = V @ J
    vmax = max(J.abs().max().item(), vJ.abs().max().item(), V.abs().max().item())
    fig = Figure(figsize=(7.0, 2.6))
    grid = fig.add_gridspec(2, 2, width_ratios=(1, 3), height_ratios=(2, 1))
    ax_v = fig.add_subplot(grid[0, 0])
    ax_j = fig.add_subplot(grid[0, 1])
    ax_r = fig.add_subplot(grid[1, 1])
    _matrix(ax_v, V[:, None], theme, ["v"], [f"y{SUB[i]}" for i in range(1, 3)], vmax)
    row = theme.text(ko="행", en="row")
    _matrix(ax_j, J, theme, [""] * 3, [f"{row} {i}" for i in range(1, 3)], vmax)
    labels_x = [f"x{SUB[i]}" for i in range(1, 4)]
    _matrix(ax_r, vJ[None, :], theme, labels_x, ["vᵀJ"], vmax)
    v1, v2 = theme.number(V[0].item()), theme.number(V[1].item())
    ax_j.set_title(f"vᵀJ = {v1}·({row} 1) + ({v2})·({row} 2)")
    # the picture is the real VJP
    assert torch.allclose(vJ, torch.autograd.functional.vjp(f, X, V)[1])
    return fig


SIZES = (16, 64, 256, 1024)
SMALL = 8  # the other dimension
MIN_RUN_TIME = 0.5  # seconds of calls behind each timing
TIME_TICKS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50)  # ms, on the cost figure's log axis


# --8<-- [start:layer]
def make_layer(n_in: int, n_out: int, seed: int = 0):
    """x ↦ tanh(W x) from R^n_in to R^n_out, with a fixed random W."""
    generator = torch.Generator().manual_seed(seed)
    W = torch.randn(n_out, n_in, generator=generator) / n_in**0.5
    return lambda x: torch.tanh(W @ x)


# --8<-- [end:layer]


METHODS = {  # short name: (label in the figure, how to compute the Jacobian)
    "loop": (
        {"ko": "역전파 반복문 (행마다 한 번)", "en": "reverse, one pass per row"},
        lambda fn, x: jacobian_by_rows(fn, x),
    ),
    "rev": (
        {"ko": "jacrev (역방향 + vmap)", "en": "jacrev (reverse + vmap)"},
        lambda fn, x: jacrev(fn)(x),
    ),
    "fwd": (
        {"ko": "jacfwd (순방향 + vmap)", "en": "jacfwd (forward + vmap)"},
        lambda fn, x: jacfwd(fn)(x),
    ),
}


def seconds(method, fn, x) -> float:
    """Time of one call by ``torch.utils.benchmark`` on one thread: after a warm-up,
    blocks of calls for at least ``MIN_RUN_TIME`` seconds; the median over blocks."""
    env = {"method": method, "fn": fn, "x": x}
    timer = benchmark.Timer(stmt="method(fn, x)", globals=env, num_threads=1)
    return timer.blocked_autorange(min_run_time=MIN_RUN_TIME).median


@values("jacobian-cost", page="autograd/vector-jacobian")
def measure() -> dict:
    with torch_threads(1):  # one core: timings that do not depend on what else runs
        return _measure()


def _measure() -> dict:
    result = {"sizes": list(SIZES), "small": SMALL, "min_run_time": MIN_RUN_TIME}
    for regime in track(("wide", "tall"), "regime"):
        timings = {name: [] for name in METHODS}
        for size in SIZES:
            n_in, n_out = (size, SMALL) if regime == "wide" else (SMALL, size)
            fn, x = make_layer(n_in, n_out), torch.randn(n_in)
            for name, (_, method) in METHODS.items():
                timings[name].append(seconds(method, fn, x))
        result[regime] = timings
        # at the largest size
        largest = {name: times[-1] for name, times in timings.items()}
        result[f"{regime}_ms"] = {name: 1000 * t for name, t in largest.items()}
        result[f"{regime}_fwd_over_rev"] = largest["fwd"] / largest["rev"]
        result[f"{regime}_loop_over_rev"] = largest["loop"] / largest["rev"]
    result["largest"] = SIZES[-1]
    result["sizes_text"] = ", ".join(map(str, SIZES))
    result["jvps_per_vjp"] = SIZES[-1] // SMALL  # at the largest size: n JVPs, m VJPs
    result["tall_rev_over_fwd"] = 1 / result["tall_fwd_over_rev"]
    # how much jacrev's time grows from the smallest to the largest n (with many inputs)
    result["wide_rev_growth"] = result["wide"]["rev"][-1] / result["wide"]["rev"][0]
    # the smallest size from which jacfwd beats jacrev with many outputs (None: never)
    tall = result["tall"]
    # clearly: by a fifth at least, so that timing noise does not decide it
    fwd_wins = [f < 0.8 * r for f, r in zip(tall["fwd"], tall["rev"], strict=True)]
    wins = [i for i in range(len(SIZES)) if all(fwd_wins[i:])]
    result["tall_fwd_wins"] = bool(wins)
    result["tall_fwd_wins_from"] = SIZES[wins[0]] if wins else None
    return result


@figure(
    "jacobian-cost-figure", page="autograd/vector-jacobian", needs=("jacobian-cost",)
)
def cost_figure(theme, jacobian_cost) -> Figure:
    fig = Figure(figsize=(7.2, 3.4))
    axes = fig.subplots(1, 2, sharey=True)
    sizes, small = jacobian_cost["sizes"], jacobian_cost["small"]
    titles = {
        "wide": theme.text(
            ko=f"입력 n ≫ 출력 m = {small}", en=f"inputs n ≫ outputs m = {small}"
        ),
        "tall": theme.text(
            ko=f"출력 m ≫ 입력 n = {small}", en=f"outputs m ≫ inputs n = {small}"
        ),
    }
    xlabels = {
        "wide": theme.text(ko="n (입력 수)", en="n (inputs)"),
        "tall": theme.text(ko="m (출력 수)", en="m (outputs)"),
    }
    for ax, regime in zip(axes, ("wide", "tall"), strict=True):
        for name in METHODS:  # in the text's order, not the values file's
            times = jacobian_cost[regime][name]
            label = theme.text(**METHODS[name][0])
            ax.plot(sizes, [1000 * t for t in times], marker="o", label=label)
        ax.set(xscale="log", yscale="log", title=titles[regime], xlabel=xlabels[regime])
        ax.set_xticks(sizes, [str(n) for n in sizes])  # the sizes measured
        ax.set_yticks(TIME_TICKS, [f"{t:g}" for t in TIME_TICKS])
        ax.minorticks_off()
    axes[0].set_ylabel(
        theme.text(ko="야코비안 하나를 구하는 시간 (ms)", en="time per Jacobian (ms)")
    )
    handles, labels = axes[1].get_legend_handles_labels()
    # one legend under both panels, clear of every line
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=3)
    axes[0].minorticks_off()
    return fig
