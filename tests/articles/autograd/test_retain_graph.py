"""The retain_graph article (snippets/articles/autograd/retain_graph.py): its listings and the
claims its page makes about the build's numbers."""

import pytest
import torch

from snippets.articles.autograd import retain_graph as article
from tests.conftest import REPO, job_values

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


def test_second_derivative_of_cube(capsys, built_site):
    """At x = 3 the two derivatives differ (27 and 18), and the page says which is which."""
    article.second_derivative()
    assert "at x = 3.0: dy/dx = 27.0 (3x²), d²y/dx² = 18.0 (6x)" in capsys.readouterr().out
    assert "at \\(x = 3\\) they are 27 and 18" in (REPO / "docs/autograd/retain-graph.en.md").read_text()
    assert "\\(x = 3\\)에서 각각 27과 18" in (REPO / "docs/autograd/retain-graph.ko.md").read_text()


def test_accumulation_caveats_hold(capsys):
    """Unequal micro-batches need weights by size, and BatchNorm gives another gradient."""
    article.accumulation_caveats()
    lines = capsys.readouterr().out.splitlines()
    diffs = [float(line.rsplit("= ", 1)[1]) for line in lines]
    assert diffs[0] > 1e-3 and diffs[1] < 1e-6  # 1/4 is wrong, len/30 is right
    assert diffs[2] > 1e-3  # "no scaling fixes it"


def test_rnn_state_needs_detach_and_gan_step_breaks_a_retained_graph(capsys):
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        article.train_chunks(detach=False)
    article.train_chunks(detach=True)
    assert capsys.readouterr().out.count("chunk") == 1 + 3
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        article.gan_retained_then_stepped()


def test_memory_grows_only_with_retained_graphs(built_site):
    result = job_values(built_site, "retain-memory")
    per_graph = result["retain"][1]
    assert per_graph > 0
    assert result["retain"] == [k * per_graph for k in result["steps"]]
    assert result["free"] == [0] * len(result["steps"])
    batch, hidden = result["batch"], result["hidden"]
    # "the two ReLU outputs of batch × hidden float32 values each (the losses are tiny)"
    assert 2 * batch * hidden * 4 <= per_graph < 2 * batch * hidden * 4 + 4096
    # "the second and third layers' weights and the input"; not the first layer's weight
    shared = (hidden * hidden + hidden * 1 + batch * 256) * 4
    assert result["retained_all_mb"] - result["retained_mb"] == pytest.approx(shared / 2**20)
    assert result["shared_mb"] == pytest.approx(shared / 2**20)


def test_saved_bytes_counts_each_storage_once_and_skips_what_it_is_told():
    from snippets.autograd.saved_bytes import SavedBytes

    w = torch.randn(100, 100, requires_grad=True)
    x = torch.randn(100, 100)
    counter = SavedBytes(exclude=[w])
    with counter.track():
        h = (x @ w).relu()  # the relu output, saved by relu and by the next matmul
        y = h @ w.T  # w.T: a view of an excluded storage
    assert counter.held == 100 * 100 * 4 + x.numel() * 4  # h once, x once (matmul saved it)
    y.sum().backward()
    assert counter.held == 0
