"""What a whole Jacobian costs: one reverse pass per output row, against vmapped reverse mode
(``torch.func.jacrev``) and vmapped forward mode (``torch.func.jacfwd``), when the inputs
outnumber the outputs and the other way round. Measured at build time on the build machine."""

import statistics
import time

import torch
from matplotlib.figure import Figure
from torch.func import jacfwd, jacrev

from snippets.autograd.vjp import jacobian_by_rows
from snippets.build import figure, track, values
from snippets.threads import torch_threads

SIZES = (16, 64, 256, 1024)
SMALL = 8  # the other dimension
REPEATS = 7


# --8<-- [start:layer]
def make_layer(n_in: int, n_out: int, seed: int = 0):
    """x ↦ tanh(W x) from R^n_in to R^n_out, with a fixed random W."""
    W = torch.randn(n_out, n_in, generator=torch.Generator().manual_seed(seed)) / n_in**0.5
    return lambda x: torch.tanh(W @ x)
# --8<-- [end:layer]


METHODS = {  # short name: (label in the figure, how to compute the Jacobian)
    "loop": ("reverse, one pass per row", lambda fn, x: jacobian_by_rows(fn, x)),
    "rev": ("jacrev (reverse + vmap)", lambda fn, x: jacrev(fn)(x)),
    "fwd": ("jacfwd (forward + vmap)", lambda fn, x: jacfwd(fn)(x)),
}


def seconds(method, fn, x) -> float:
    """Median wall time of ``REPEATS`` calls, after one warm-up call."""
    method(fn, x)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        method(fn, x)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@values("jacobian-cost", page="autograd/vector-jacobian")
def measure() -> dict:
    with torch_threads(1):  # one core: timings that do not depend on what else runs
        return _measure()


def _measure() -> dict:
    result = {"sizes": list(SIZES), "small": SMALL, "repeats": REPEATS, "threads": 1}
    for regime in track(("wide", "tall"), "regime"):
        timings = {name: [] for name in METHODS}
        for size in SIZES:
            n_in, n_out = (size, SMALL) if regime == "wide" else (SMALL, size)
            fn, x = make_layer(n_in, n_out), torch.randn(n_in)
            for name, (_, method) in METHODS.items():
                timings[name].append(seconds(method, fn, x))
        result[regime] = timings
        largest = {name: times[-1] for name, times in timings.items()}  # at the largest size
        result[f"{regime}_ms"] = {name: 1000 * t for name, t in largest.items()}
        result[f"{regime}_fwd_over_rev"] = largest["fwd"] / largest["rev"]
        result[f"{regime}_loop_over_rev"] = largest["loop"] / largest["rev"]
    result["largest"] = SIZES[-1]
    return result


@figure("jacobian-cost-figure", page="autograd/vector-jacobian", needs=("jacobian-cost",))
def cost_figure(theme, jacobian_cost) -> Figure:
    fig = Figure(figsize=(7.2, 3.4))
    axes = fig.subplots(1, 2, sharey=True)
    sizes, small = jacobian_cost["sizes"], jacobian_cost["small"]
    titles = {"wide": f"inputs n ≫ outputs m = {small}", "tall": f"outputs m ≫ inputs n = {small}"}
    for ax, regime in zip(axes, ("wide", "tall"), strict=True):
        for name, times in jacobian_cost[regime].items():
            ax.plot(sizes, [1000 * t for t in times], marker="o", label=METHODS[name][0])
        ax.set(xscale="log", yscale="log", title=titles[regime],
               xlabel="n (inputs)" if regime == "wide" else "m (outputs)")
    axes[0].set_ylabel("time per Jacobian (ms)")
    axes[1].legend(loc="upper left", fontsize=8)
    return fig
