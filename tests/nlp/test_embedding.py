"""The lookup and its cost (snippets/nlp/embedding.py), and nn.Embedding's options doing what
the page says; bad indices are clear errors."""

import pytest
import torch
from torch import nn

from snippets.nlp.embedding import cost, lookup, one_hot_product


def test_lookup_equals_the_one_hot_product():
    torch.manual_seed(0)
    embedding = nn.Embedding(50, 7)
    idx = torch.randint(50, (4, 9))
    assert torch.equal(embedding(idx), one_hot_product(embedding, idx))
    assert one_hot_product(embedding, idx).shape == (4, 9, 7)


def test_padding_row_is_zero_and_gets_no_gradient():
    torch.manual_seed(0)
    embedding = nn.Embedding(6, 3, padding_idx=0)
    assert torch.equal(embedding.weight[0], torch.zeros(3))
    embedding(torch.tensor([[1, 0, 0], [2, 3, 0]])).pow(2).sum().backward()
    assert torch.equal(embedding.weight.grad[0], torch.zeros(3))
    assert embedding.weight.grad[1].abs().sum() > 0


def test_max_norm_caps_the_rows_it_looks_up_in_place():
    torch.manual_seed(0)
    embedding = nn.Embedding(5, 4, max_norm=1.0)
    with torch.no_grad():
        embedding.weight.mul_(5)
    before = embedding.weight.norm(dim=1).clone()
    out = embedding(torch.tensor([0, 3]))
    after = embedding.weight.norm(dim=1)
    assert torch.allclose(after[[0, 3]], torch.ones(2), atol=1e-6)
    assert torch.equal(after[[1, 2, 4]], before[[1, 2, 4]])  # rows not looked up are untouched
    assert (out.norm(dim=1) <= 1 + 1e-6).all()


def test_scale_grad_by_freq_divides_by_the_count_in_the_batch():
    batch = torch.tensor([1, 1, 1, 2])
    grads = {}
    for scale in (False, True):
        embedding = nn.Embedding(4, 2, scale_grad_by_freq=scale)
        embedding(batch).sum().backward()
        grads[scale] = embedding.weight.grad
    assert grads[False][1].tolist() == [3.0, 3.0] and grads[True][1].tolist() == [1.0, 1.0]
    assert grads[False][2].tolist() == grads[True][2].tolist() == [1.0, 1.0]


def test_sparse_gradients_are_sparse_and_only_sparse_optimisers_take_them():
    embedding = nn.Embedding(1000, 8, sparse=True)
    embedding(torch.tensor([3, 7, 7])).sum().backward()
    grad = embedding.weight.grad.coalesce()
    assert grad.is_sparse and grad.indices().tolist() == [[3, 7]]
    assert torch.equal(grad.to_dense()[7], torch.full((8,), 2.0))
    with pytest.raises(RuntimeError, match="does not support sparse gradients"):
        torch.optim.Adam(embedding.parameters()).step()
    before = embedding.weight.detach().clone()
    torch.optim.SparseAdam(embedding.parameters(), lr=0.1).step()
    changed = (embedding.weight.detach() != before).any(dim=1).nonzero().flatten().tolist()
    assert changed == [3, 7]  # only the rows that were looked up


def test_from_pretrained_frozen_does_not_update():
    vectors = torch.randn(5, 3)
    frozen = nn.Embedding.from_pretrained(vectors, freeze=True)
    model = nn.Sequential(frozen, nn.Linear(3, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.tensor([0, 4])).sum().backward()
        optimizer.step()
    assert torch.equal(frozen.weight, vectors) and frozen.weight.grad is None


def test_embedding_bag_mean_is_the_mean_of_lookups():
    torch.manual_seed(0)
    bag = nn.EmbeddingBag(10, 4, mode="mean")
    tokens, offsets = torch.tensor([1, 2, 4, 5, 3, 9]), torch.tensor([0, 3, 5])
    expected = torch.stack([bag.weight[[1, 2, 4]].mean(0), bag.weight[[5, 3]].mean(0), bag.weight[[9]].mean(0)])
    assert torch.allclose(bag(tokens, offsets), expected)


@pytest.mark.parametrize("bad", [[1, 6], [-1, 2], [7, 8]])
def test_out_of_range_indices_name_the_vocabulary_size(bad):
    embedding = nn.Embedding(6, 4)
    with pytest.raises(IndexError, match=r"must be in \[0, 5\] for a vocabulary of 6; got .*index out of range") as err:
        lookup(embedding, torch.tensor(bad))
    assert isinstance(err.value.__cause__, IndexError)  # PyTorch's own error, kept as the cause
    assert lookup(embedding, torch.tensor([0, 5])).shape == (2, 4)


def test_cost_counts_the_one_hot_matrix():
    row = cost(2000, batch=16, dim=8)
    assert row["one_hot_bytes"] == 16 * 2000 * 4 + 16 * 8 * 4 and row["lookup_bytes"] == 16 * 8 * 4
    assert row["lookup_s"] > 0 and row["one_hot_s"] > 0
