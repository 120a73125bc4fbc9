"""The retain_graph article (snippets/articles/autograd/retain_graph.py): its listings and the
claims its page makes about the build's numbers."""

import pytest
import torch

from snippets.articles.autograd import retain_graph as article
from tests.conftest import job_values

SECOND_BACKWARD = "Trying to backward through the graph a second time"


def test_second_backward_raises_the_pytorch_error():
    with pytest.raises(RuntimeError, match=SECOND_BACKWARD):
        article.backward_twice()


def test_gan_without_detach_raises_the_same_error():
    with pytest.raises(RuntimeError, match=SECOND_BACKWARD):
        article.gan_without_detach()


def test_retained_second_backward_doubles_the_gradient(capsys):
    article.backward_twice_retained()
    out = capsys.readouterr().out.splitlines()
    first = torch.tensor([float(v) for v in out[0].split("[")[1].split("]")[0].split(",")])
    second = torch.tensor([float(v) for v in out[1].split("[")[1].split("]")[0].split(",")])
    torch.testing.assert_close(second, 2 * first, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("fn", [article.accumulation, article.hvp_check])
def test_listings_report_equality(fn, capsys):
    fn()
    assert capsys.readouterr().out.strip().endswith("equal: True")


def test_two_losses_one_backward_equals_two(capsys):
    article.two_losses()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(":", 1)[1].strip() == lines[1].split(":", 1)[1].strip()


def test_gan_with_detach_leaves_generator_gradients_empty_in_the_d_step(capsys):
    article.gan_with_detach()
    out = capsys.readouterr().out
    assert "after the D step, G.weight.grad is None" in out


@pytest.mark.parametrize("seed", range(3))
def test_hessian_vector_product_matches_functional_hvp(seed):
    g = torch.Generator().manual_seed(seed)
    x, v = torch.randn(6, generator=g, dtype=torch.float64), torch.randn(6, generator=g, dtype=torch.float64)
    ours = article.hessian_vector_product(article.rosenbrock, x, v)
    _, reference = torch.autograd.functional.hvp(article.rosenbrock, x, v)
    torch.testing.assert_close(ours, reference)
    H = torch.autograd.functional.hessian(article.rosenbrock, x)
    torch.testing.assert_close(ours, H @ v)


def test_second_derivative_of_cube(capsys):
    article.second_derivative()
    assert "dy/dx = 12.0, d²y/dx² = 12.0" in capsys.readouterr().out


def test_memory_grows_only_with_retained_graphs(built_site):
    result = job_values(built_site, "retain-memory")
    per_graph = result["retain"][1]
    assert per_graph > 0
    assert result["retain"] == [k * per_graph for k in result["steps"]]
    assert result["free"] == [0] * len(result["steps"])
