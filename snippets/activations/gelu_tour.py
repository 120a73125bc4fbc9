"""Runs shown on the GELU page: each function's body is a listing, and what it prints is
shown under it (output jobs). ``approximation_errors`` computes the numbers in the prose."""

import torch
import torch.nn.functional as F

from snippets.activations.gelu import gelu, gelu_derivative, gelu_sigmoid, gelu_tanh, normal_cdf
from snippets.build import output, values


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
        print(f"x = {x:4.1f}:  mean of x·m = {sample_mean:.4f},  gelu(x) = {gelu(xs[0]):.4f}")
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
    """Maximum errors of both approximations, and the shape of GELU and its derivative."""
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
    d = gelu_derivative(x)
    out["derivative"] = {"max": d.max().item(), "max_at": x[int(d.argmax())].item(),
                         "min": d.min().item(), "min_at": x[int(d.argmin())].item()}
    # PyTorch's own tanh variant against ours, in float32 as models use it
    x32 = x.float()
    out["torch_tanh_vs_ours_float32"] = (F.gelu(x32, approximate="tanh") - gelu_tanh(x32)).abs().max().item()
    out["torch_exact_vs_ours_float32"] = (F.gelu(x32) - gelu(x32)).abs().max().item()
    return out
