"""Runs shown on the nn.Embedding page: each function's body is a listing, and what it prints
is shown under it (output jobs)."""

import torch
import torch.nn.functional as F
from torch import nn

from snippets.build import output
from snippets.nlp.embedding import lookup, one_hot_product


@output("embedding-one-hot", page="nlp/embedding")
def one_hot_versus_dense():
    # --8<-- [start:one-hot]
    vocab = ["<pad>", "the", "cat", "sat", "on", "mat"]
    idx = torch.tensor([1, 2, 3])  # "the cat sat"
    one_hot = F.one_hot(idx, num_classes=len(vocab)).float()
    print(one_hot)
    print("cosine(the, cat) with one-hot:", F.cosine_similarity(one_hot[0], one_hot[1], dim=0).item())

    torch.manual_seed(0)
    embedding = nn.Embedding(len(vocab), 4)  # a trainable (6, 4) table
    dense = embedding(idx)
    print("lookup shape:", tuple(dense.shape))
    print("max |lookup - one_hot @ W| =", (dense - one_hot_product(embedding, idx)).abs().max().item())
    # --8<-- [end:one-hot]


@output("embedding-padding", page="nlp/embedding")
def padding():
    # --8<-- [start:padding]
    torch.manual_seed(0)
    embedding = nn.Embedding(6, 3, padding_idx=0)
    print("row 0 at init:", embedding.weight[0].tolist())
    batch = torch.tensor([[1, 2, 0, 0], [3, 4, 5, 0]])  # two sentences padded to length 4
    embedding(batch).sum().backward()
    print("gradient of row 0:", embedding.weight.grad[0].tolist())
    print("gradient of row 1:", embedding.weight.grad[1].tolist())
    # --8<-- [end:padding]


@output("embedding-max-norm", page="nlp/embedding")
def max_norm():
    # --8<-- [start:max-norm]
    torch.manual_seed(0)
    embedding = nn.Embedding(4, 3, max_norm=1.0)
    with torch.no_grad():
        embedding.weight.mul_(3)  # make every row longer than 1
    def norms(t):
        return " ".join(f"{n:.3f}" for n in t.norm(dim=1).tolist())

    print("row norms before:", norms(embedding.weight))
    out = embedding(torch.tensor([0, 2]))  # looks up rows 0 and 2 only
    print("row norms after: ", norms(embedding.weight))
    print("output norms:    ", norms(out))
    # --8<-- [end:max-norm]


@output("embedding-max-norm-shared", page="nlp/embedding", raises="RuntimeError")
def max_norm_shared():
    # --8<-- [start:max-norm-shared]
    torch.manual_seed(0)
    embedding = nn.Embedding(4, 3, max_norm=1.0)
    with torch.no_grad():
        embedding.weight.mul_(3)
    W = torch.randn(3, 5, requires_grad=True)  # another trainable layer
    scores = embedding.weight @ W  # the table used elsewhere: autograd saves it for W's gradient
    out = embedding(torch.tensor([0, 2]))  # renormalises rows 0 and 2 in place
    (scores.sum() + out.sum()).backward()
    # --8<-- [end:max-norm-shared]


@output("embedding-max-norm-clone", page="nlp/embedding")
def max_norm_clone():
    # --8<-- [start:max-norm-clone]
    torch.manual_seed(0)
    embedding = nn.Embedding(4, 3, max_norm=1.0)
    with torch.no_grad():
        embedding.weight.mul_(3)
    W = torch.randn(3, 5, requires_grad=True)
    scores = embedding.weight.clone() @ W  # clone: the product keeps its own copy
    out = embedding(torch.tensor([0, 2]))
    (scores.sum() + out.sum()).backward()
    print("backward ran; gradient shape:", tuple(embedding.weight.grad.shape))
    # --8<-- [end:max-norm-clone]


@output("embedding-scale-grad", page="nlp/embedding")
def scale_grad():
    # --8<-- [start:scale-grad]
    batch = torch.tensor([1, 1, 1, 2])  # token 1 three times, token 2 once
    for scale in (False, True):
        torch.manual_seed(0)
        embedding = nn.Embedding(4, 2, scale_grad_by_freq=scale)
        embedding(batch).sum().backward()
        print(f"scale_grad_by_freq={scale!s:5}: grad row 1 = {embedding.weight.grad[1].tolist()}, "
              f"row 2 = {embedding.weight.grad[2].tolist()}")
    # --8<-- [end:scale-grad]


@output("embedding-sparse", page="nlp/embedding")
def sparse():
    # --8<-- [start:sparse]
    torch.manual_seed(0)
    embedding = nn.Embedding(10_000, 16, sparse=True)
    embedding(torch.tensor([3, 7, 7])).sum().backward()
    grad = embedding.weight.grad
    print("layout:", grad.layout, " rows stored:", grad.coalesce().indices().tolist())
    stored = grad.coalesce().values().numel()
    print(f"a dense gradient would hold {embedding.weight.numel():,} numbers; the sparse one holds {stored}")

    for optimizer in (torch.optim.SparseAdam, torch.optim.SGD):  # both accept sparse gradients
        before = embedding.weight[7].clone()
        optimizer(embedding.parameters(), lr=0.1).step()
        print(f"{optimizer.__name__}: row 7 changed:", not torch.equal(before, embedding.weight[7]))
    try:
        torch.optim.Adam(embedding.parameters(), lr=0.1).step()
    except RuntimeError as err:
        print("Adam:", err)
    # --8<-- [end:sparse]


@output("embedding-pretrained", page="nlp/embedding")
def pretrained():
    # --8<-- [start:pretrained]
    vectors = torch.tensor([[0.0, 0.0], [1.0, 0.5], [-0.5, 2.0]])  # e.g. vectors trained elsewhere
    frozen = nn.Embedding.from_pretrained(vectors, freeze=True)
    print("requires_grad:", frozen.weight.requires_grad)
    head = nn.Linear(2, 1)
    model = nn.Sequential(frozen, head)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    model(torch.tensor([1, 2])).sum().backward()
    optimizer.step()
    print("table unchanged after a step:", torch.equal(frozen.weight, vectors))
    # --8<-- [end:pretrained]


@output("embedding-bag", page="nlp/embedding")
def bag():
    # --8<-- [start:bag]
    torch.manual_seed(0)
    bag = nn.EmbeddingBag(6, 3, mode="mean")
    tokens = torch.tensor([1, 2, 4, 5, 3])  # two bags, back to back: [1, 2, 4] and [5, 3]
    offsets = torch.tensor([0, 3])  # where each bag starts
    pooled = bag(tokens, offsets)
    by_hand = torch.stack([bag.weight[[1, 2, 4]].mean(0), bag.weight[[5, 3]].mean(0)])
    print("bags:", tuple(pooled.shape), " max |bag - mean of lookups| =", (pooled - by_hand).abs().max().item())
    # --8<-- [end:bag]


@output("embedding-out-of-range", page="nlp/embedding", raises="IndexError")
def out_of_range():
    # --8<-- [start:out-of-range]
    embedding = nn.Embedding(6, 4)
    lookup(embedding, torch.tensor([1, 6]))  # 6 is one past the last row
    # --8<-- [end:out-of-range]
