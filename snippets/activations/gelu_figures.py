"""Figures of the GELU page: the curves, their derivatives, the approximation errors."""

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from snippets.activations.gelu import gelu, gelu_sigmoid, gelu_tanh
from snippets.build import figure

ACTIVATIONS = {"GELU": gelu, "ReLU": F.relu, "ELU": F.elu, "SiLU": F.silu}


@figure("gelu-activations", page="activations/gelu")
def activations(theme) -> Figure:
    x = torch.linspace(-4, 3, 701, dtype=torch.float64)
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    for name, fn in ACTIVATIONS.items():
        ax.plot(x, fn(x), label=name, linewidth=2.2 if name == "GELU" else 1.4)
    ax.axhline(0, color=theme.muted, linewidth=0.8)
    ax.axvline(0, color=theme.muted, linewidth=0.8)
    ax.set(xlabel="$x$", ylabel="$f(x)$", ylim=(-1.2, 3.0))
    ax.legend(loc="upper left")
    return fig


@figure("gelu-derivatives", page="activations/gelu")
def derivatives(theme) -> Figure:
    x = torch.linspace(-4, 3, 701, dtype=torch.float64, requires_grad=True)
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    for name, fn in ACTIVATIONS.items():
        (grad,) = torch.autograd.grad(fn(x).sum(), x)  # elementwise: grad = f'(x)
        ax.plot(x.detach(), grad, label=name, linewidth=2.2 if name == "GELU" else 1.4)
    ax.axhline(0, color=theme.muted, linewidth=0.8)
    ax.axhline(1, color=theme.muted, linewidth=0.8, linestyle=":")
    ax.set(xlabel="$x$", ylabel="$f'(x)$", ylim=(-0.3, 1.25))
    ax.legend(loc="upper left")
    return fig


@figure("gelu-approx-error", page="activations/gelu")
def approximation_error(theme) -> Figure:
    x = torch.linspace(-6, 6, 1201, dtype=torch.float64)
    exact = gelu(x)
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    ax.plot(x, (gelu_tanh(x) - exact).abs(), label="tanh")
    ax.plot(x, (gelu_sigmoid(x) - exact).abs(), label="sigmoid")
    ax.set_yscale("log")
    ax.set(xlabel="$x$", ylabel="|approx − GELU|", ylim=(1e-9, 1))
    ax.legend(loc="upper center", ncols=2)
    return fig
