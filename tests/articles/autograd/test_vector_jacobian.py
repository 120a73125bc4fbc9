"""The vector-Jacobian article (snippets/articles/autograd/vector_jacobian.py): its listings and the
claims its page makes about the build's numbers."""

import pytest
import torch

from snippets.articles.autograd import vector_jacobian as article
from snippets.autograd.vjp import jacobian_by_rows
from tests.conftest import job_values


def test_layer_jacobian_shapes():
    fn = article.make_layer(5, 3)
    assert jacobian_by_rows(fn, torch.randn(5)).shape == (3, 5)


def test_vector_backward_raises_the_pytorch_error():
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        article.vector_backward()


def test_ones_equals_sum(capsys):
    article.ones_versus_sum()
    line = capsys.readouterr().out.splitlines()[0]
    ones, summed = line.split(" sum().backward(): ")
    assert ones.removeprefix("backward(ones): ").strip() == summed.strip()


def test_vector_jacobian_claims_hold_for_the_measured_timings(built_site):
    """The page says: reverse mode wins with many inputs, forward mode with many outputs, and
    vmap beats one backward pass per row. Check the build's own measurements agree."""
    cost = job_values(built_site, "jacobian-cost")
    assert cost["wide_fwd_over_rev"] > 1
    assert cost["tall_fwd_over_rev"] < 1
    assert cost["tall_loop_over_rev"] > 1
