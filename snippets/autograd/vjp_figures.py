"""Figures of the vector-Jacobian page: the Jacobian as a heatmap, and a VJP as a row combination."""

import torch
from matplotlib.figure import Figure

from snippets.autograd.vjp import f, f_jacobian
from snippets.build import figure

X = torch.tensor([1.0, 2.0, 3.0])
V = torch.tensor([1.0, -2.0])


def _matrix(ax, M, theme, labels_x, labels_y, vmax):
    ax.imshow(M, cmap=theme.diverging, vmin=-vmax, vmax=vmax)
    for (i, j), value in zip(torch.cartesian_prod(torch.arange(M.shape[0]), torch.arange(M.shape[1])).tolist(),
                             M.flatten().tolist(), strict=True):
        strong = abs(value) > 0.6 * vmax  # white on the darkest cells
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="white" if strong else "black", fontsize=10)
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
    _matrix(ax, J, theme, [f"∂/∂x{i}" for i in range(3)], [f"y{i}" for i in range(2)], J.abs().max().item())
    ax.set_title("J = ∂y/∂x at x = (1, 2, 3)")
    return fig


@figure("vjp-row-combination", page="autograd/vector-jacobian", format="png")
def row_combination(theme) -> Figure:
    J = f_jacobian(X)
    vJ = V @ J
    vmax = max(J.abs().max().item(), vJ.abs().max().item(), V.abs().max().item())
    fig = Figure(figsize=(7.0, 2.6))
    grid = fig.add_gridspec(2, 2, width_ratios=(1, 3), height_ratios=(2, 1))
    ax_v, ax_j, ax_r = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1])
    _matrix(ax_v, V[:, None], theme, ["v"], [f"y{i}" for i in range(2)], vmax)
    _matrix(ax_j, J, theme, [""] * 3, [f"row {i}" for i in range(2)], vmax)
    _matrix(ax_r, vJ[None, :], theme, [f"x{i}" for i in range(3)], ["vᵀJ"], vmax)
    ax_j.set_title(f"vᵀJ = {V[0]:g}·(row 0) + ({V[1]:g})·(row 1)")
    assert torch.allclose(vJ, torch.autograd.functional.vjp(f, X, V)[1])  # the picture is the real VJP
    return fig
