"""Runs shown on the vector-Jacobian page; each function's body is a listing with its output."""

import torch
from torch.autograd.functional import jacobian

from snippets.autograd.vjp import f, f_jacobian, jacobian_by_rows
from snippets.build import output


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
        print(f"{name:26} equal to the hand-written J: {torch.allclose(J, f_jacobian(x))}")
    # --8<-- [end:methods]
