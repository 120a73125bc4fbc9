"""Vector-Jacobian products, Jacobian-vector products and the Jacobian helpers."""

import pytest
import torch
from torch.autograd.functional import jacobian
from torch.func import jacfwd, jacrev, jvp, vjp

from snippets.autograd.vjp import f, f_jacobian, jacobian_by_rows, vjp_by_backward

torch.manual_seed(0)
POINTS = [torch.randn(3, dtype=torch.float64) for _ in range(5)]


@pytest.mark.parametrize("x", POINTS)
def test_hand_written_jacobian_matches_autograd(x):
    torch.testing.assert_close(f_jacobian(x), jacobian(f, x))


@pytest.mark.parametrize("x", POINTS)
def test_backward_with_gradient_is_v_transpose_j(x):
    v = torch.randn(2, dtype=torch.float64)
    J = jacobian(f, x)
    torch.testing.assert_close(vjp_by_backward(f, x, v), v @ J)
    torch.testing.assert_close(vjp(f, x)[1](v)[0], v @ J)


@pytest.mark.parametrize("x", POINTS)
def test_jvp_is_j_times_u(x):
    u = torch.randn(3, dtype=torch.float64)
    J = jacobian(f, x)
    torch.testing.assert_close(jvp(f, (x,), (u,))[1], J @ u)
    torch.testing.assert_close(torch.autograd.functional.jvp(f, x, u)[1], J @ u)


@pytest.mark.parametrize("x", POINTS)
def test_every_way_to_the_jacobian_agrees(x):
    J = f_jacobian(x)
    for other in (jacobian_by_rows(f, x), jacobian(f, x, vectorize=True), jacrev(f)(x), jacfwd(f)(x)):
        torch.testing.assert_close(other, J)


def test_bad_shapes_are_clear_errors():
    with pytest.raises(ValueError, match=r"f expects a tensor of shape \(3,\), got shape \(4,\)"):
        f(torch.zeros(4))
    with pytest.raises(ValueError, match=r"v must have the shape of the output \(2,\), got \(3,\)"):
        vjp_by_backward(f, torch.zeros(3), torch.ones(3))
