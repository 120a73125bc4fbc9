"""A small vector function, its Jacobian, and three ways to compute a whole Jacobian.

The article /autograd/vector-jacobian/ shows the sections between the ``--8<--``
markers.
"""

# --8<-- [start:function]
import torch


def f(x: torch.Tensor) -> torch.Tensor:
    """R³ → R²: (x₁²·x₂, 5·x₁ + x₃·sin x₂), with x₁ = x[0] (1-based in math)."""
    if x.shape != (3,):
        raise ValueError(
            f"f expects a tensor of shape (3,), got shape {tuple(x.shape)}"
        )
    return torch.stack([x[0] ** 2 * x[1], 5 * x[0] + x[2] * torch.sin(x[1])])


def f_jacobian(x: torch.Tensor) -> torch.Tensor:
    """The same Jacobian, written out by hand: a 2×3 matrix."""
    x0, x1, x2 = x
    return torch.stack(
        [
            torch.stack([2 * x0 * x1, x0**2, torch.zeros_like(x0)]),
            torch.stack([torch.full_like(x0, 5.0), x2 * torch.cos(x1), torch.sin(x1)]),
        ]
    )


# --8<-- [end:function]


# --8<-- [start:by-rows]
def jacobian_by_rows(fn, x: torch.Tensor) -> torch.Tensor:
    """One reverse pass per output: row i of J is ∇y_i (a VJP with v = e_i)."""
    x = x.detach().requires_grad_(True)
    y = fn(x)
    rows = [
        torch.autograd.grad(y[i], x, retain_graph=True)[0] for i in range(y.numel())
    ]
    return torch.stack(rows)


# --8<-- [end:by-rows]


def vjp_by_backward(fn, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """vᵀJ through ``y.backward(gradient=v)``."""
    x = x.detach().requires_grad_(True)
    y = fn(x)
    if v.shape != y.shape:
        raise ValueError(
            f"v must have the shape of the output {tuple(y.shape)}, "
            f"got {tuple(v.shape)}"
        )
    y.backward(gradient=v)
    return x.grad
