"""``nn.Embedding`` as a lookup table: the one-hot product it replaces, a lookup that
names the vocabulary size when an index is out of range, and what both cost as the
vocabulary grows.

The article /nlp/embedding/ shows the sections between the ``--8<--`` markers.
"""

import timeit

# --8<-- [start:lookup]
import torch
import torch.nn.functional as F
from torch import nn


def one_hot_product(embedding: nn.Embedding, idx: torch.Tensor) -> torch.Tensor:
    """What a lookup computes, written as a product: one_hot(idx) @ W."""
    vocab = embedding.num_embeddings
    dtype = embedding.weight.dtype
    one_hot = F.one_hot(idx, num_classes=vocab).to(dtype)  # (..., vocab)
    return one_hot @ embedding.weight  # (..., vocab) @ (vocab, dim) -> (..., dim)


def lookup(embedding: nn.Embedding, idx: torch.Tensor) -> torch.Tensor:
    """``embedding(idx)``, reporting an out-of-range index against the vocab size."""
    try:
        return embedding(idx)
    except IndexError as err:
        vocab = embedding.num_embeddings
        bad = idx[(idx < 0) | (idx >= vocab)].unique().tolist()
        raise IndexError(
            f"token indices must be in [0, {vocab - 1}] for a vocabulary of {vocab}; "
            f"got {bad} (PyTorch: {err})"
        ) from err


# --8<-- [end:lookup]


def seconds(fn, repeats: int = 5) -> float:
    """Seconds per call: the fastest of ``repeats`` timings, each over enough calls to
    take at least 0.2 s (``timeit``'s autorange), so that microsecond calls are not lost
    in noise."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeats, number=number)) / number


def cost(
    vocab: int, *, batch: int = 512, dim: int = 64, seed: int = 0, repeats: int = 5
) -> dict:
    """Time and memory of a lookup vs. the one-hot product, for ``batch`` indices."""
    generator = torch.Generator().manual_seed(seed)
    embedding = nn.Embedding(vocab, dim)
    idx = torch.randint(vocab, (batch,), generator=generator)
    with torch.no_grad():
        return {
            "vocab": vocab,
            "lookup_s": seconds(lambda: embedding(idx), repeats),
            "one_hot_s": seconds(lambda: one_hot_product(embedding, idx), repeats),
            # what each needs besides the weight: the output, plus the one-hot matrix
            # for the product
            "lookup_bytes": batch * dim * 4,
            "one_hot_bytes": batch * vocab * 4 + batch * dim * 4,
        }
