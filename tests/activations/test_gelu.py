"""GELU and its approximations (snippets/activations/gelu.py) against PyTorch."""


import pytest
import torch
import torch.nn.functional as F

from snippets.activations.gelu import gelu, gelu_derivative, gelu_sigmoid, gelu_tanh, normal_cdf

X = torch.linspace(-10, 10, 20001, dtype=torch.float64)


def test_exact_matches_pytorch():
    torch.testing.assert_close(gelu(X), F.gelu(X, approximate="none"), rtol=1e-15, atol=1e-14)


def test_tanh_matches_pytorch_tanh_variant():
    torch.testing.assert_close(gelu_tanh(X), F.gelu(X, approximate="tanh"), rtol=0, atol=1e-15)


def test_float32_matches_pytorch():
    x = X.float()
    torch.testing.assert_close(gelu(x), F.gelu(x), rtol=1e-6, atol=2e-6)
    torch.testing.assert_close(gelu_tanh(x), F.gelu(x, approximate="tanh"), rtol=1e-6, atol=2e-6)


def test_sigmoid_approximation_is_x_sigmoid_1702x():
    torch.testing.assert_close(gelu_sigmoid(X), X * torch.sigmoid(1.702 * X), rtol=0, atol=0)


def test_approximation_errors_are_the_known_sizes():
    exact = gelu(X)
    tanh_err = (gelu_tanh(X) - exact).abs().max().item()
    sigmoid_err = (gelu_sigmoid(X) - exact).abs().max().item()
    assert 1e-4 < tanh_err < 1e-3  # about 4.7e-4
    assert 1e-2 < sigmoid_err < 3e-2  # about 2.0e-2
    assert sigmoid_err > 10 * tanh_err


def test_normal_cdf_values():
    assert normal_cdf(torch.tensor(0.0)).item() == 0.5
    assert normal_cdf(torch.tensor(1.0, dtype=torch.float64)).item() == pytest.approx(0.8413447460685429)


def test_derivative_matches_autograd():
    x = X.clone().requires_grad_(True)
    gelu(x).sum().backward()
    torch.testing.assert_close(x.grad, gelu_derivative(X), rtol=0, atol=1e-14)




@pytest.mark.parametrize("fn", [gelu, gelu_tanh, gelu_sigmoid, gelu_derivative])
def test_integer_input_is_a_clear_error(fn):
    with pytest.raises(ValueError, match="floating-point tensor.*got dtype torch.int64"):
        fn(torch.arange(3))


@pytest.mark.parametrize("fn", [gelu, gelu_tanh, gelu_sigmoid])
def test_non_tensor_input_is_a_clear_error(fn):
    with pytest.raises(TypeError, match="expected a torch.Tensor, got list"):
        fn([1.0, 2.0])
