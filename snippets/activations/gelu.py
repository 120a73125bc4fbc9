"""GELU, the Gaussian Error Linear Unit, and its two approximations.

Hendrycks & Gimpel (2016), "Gaussian Error Linear Units (GELUs)", arXiv:1606.08415.
The article /activations/gelu/ shows the sections between the ``--8<--`` markers.
"""

# --8<-- [start:exact]
import math

import torch


def _check_input(x) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise ValueError(f"expected a floating-point tensor, got dtype {x.dtype}")


def normal_cdf(x: torch.Tensor) -> torch.Tensor:
    """Φ(x), the standard normal cumulative distribution function."""
    return 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu(x: torch.Tensor) -> torch.Tensor:
    """Exact GELU: x·Φ(x)."""
    _check_input(x)
    return x * normal_cdf(x)


# --8<-- [end:exact]


# --8<-- [start:approx]
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)  # 0.7978...


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))."""
    _check_input(x)
    return 0.5 * x * (1.0 + torch.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3)))


def gelu_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """x·σ(1.702·x)."""
    _check_input(x)
    return x * torch.sigmoid(1.702 * x)


# --8<-- [end:approx]


# --8<-- [start:derivative]
def normal_pdf(x: torch.Tensor) -> torch.Tensor:
    """φ(x), the standard normal density."""
    return torch.exp(-0.5 * x**2) / math.sqrt(2.0 * math.pi)


def gelu_derivative(x: torch.Tensor) -> torch.Tensor:
    """d/dx [x·Φ(x)] = Φ(x) + x·φ(x)."""
    _check_input(x)
    return normal_cdf(x) + x * normal_pdf(x)


# --8<-- [end:derivative]
