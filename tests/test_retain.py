"""retain_graph, gradient accumulation, create_graph, and the saved-bytes counter."""

import gc

import pytest
import torch

from snippets.autograd import retain_tour
from snippets.autograd.saved_bytes import SavedBytes

SECOND_BACKWARD = "Trying to backward through the graph a second time"


def test_second_backward_raises_the_pytorch_error():
    with pytest.raises(RuntimeError, match=SECOND_BACKWARD):
        retain_tour.backward_twice()


def test_gan_without_detach_raises_the_same_error():
    with pytest.raises(RuntimeError, match=SECOND_BACKWARD):
        retain_tour.gan_without_detach()


def test_retained_second_backward_doubles_the_gradient(capsys):
    retain_tour.backward_twice_retained()
    out = capsys.readouterr().out.splitlines()
    first = torch.tensor([float(v) for v in out[0].split("[")[1].split("]")[0].split(",")])
    second = torch.tensor([float(v) for v in out[1].split("[")[1].split("]")[0].split(",")])
    torch.testing.assert_close(second, 2 * first, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("fn", [retain_tour.accumulation, retain_tour.hvp_check])
def test_listings_report_equality(fn, capsys):
    fn()
    assert capsys.readouterr().out.strip().endswith("equal: True")


def test_two_losses_one_backward_equals_two(capsys):
    retain_tour.two_losses()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(":", 1)[1].strip() == lines[1].split(":", 1)[1].strip()


def test_gan_with_detach_leaves_generator_gradients_empty_in_the_d_step(capsys):
    retain_tour.gan_with_detach()
    out = capsys.readouterr().out
    assert "after the D step, G.weight.grad is None" in out


@pytest.mark.parametrize("seed", range(3))
def test_hessian_vector_product_matches_functional_hvp(seed):
    g = torch.Generator().manual_seed(seed)
    x, v = torch.randn(6, generator=g, dtype=torch.float64), torch.randn(6, generator=g, dtype=torch.float64)
    ours = retain_tour.hessian_vector_product(retain_tour.rosenbrock, x, v)
    _, reference = torch.autograd.functional.hvp(retain_tour.rosenbrock, x, v)
    torch.testing.assert_close(ours, reference)
    H = torch.autograd.functional.hessian(retain_tour.rosenbrock, x)
    torch.testing.assert_close(ours, H @ v)


def test_second_derivative_of_cube(capsys):
    retain_tour.second_derivative()
    assert "dy/dx = 12.0, d²y/dx² = 12.0" in capsys.readouterr().out


def test_saved_bytes_match_a_hand_count():
    counter = SavedBytes()
    x = torch.randn(1000, requires_grad=True)  # float32: 4 bytes each
    with counter.track():
        y = x.sin().exp().sum()  # sin saves x (4000 B), exp saves its output (4000 B), sum saves none
    assert counter.held == counter.saved == 8000
    y.backward()  # frees them
    gc.collect()
    assert counter.held == 0 and counter.saved == 8000

    with counter.track():
        y = (x * 3.0).exp().sum()  # mul by a number saves nothing for x; exp saves its output
    assert counter.held == 4000
    y.backward(retain_graph=True)
    gc.collect()
    assert counter.held == 4000  # retained
    del y
    gc.collect()
    assert counter.held == 0


def test_memory_grows_only_with_retained_graphs():
    result = retain_tour.memory_held()
    per_graph = result["retain"][1]
    assert per_graph > 0
    assert result["retain"] == [k * per_graph for k in result["steps"]]
    assert result["free"] == [0] * len(result["steps"])
