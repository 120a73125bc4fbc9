"""The saved-tensor byte counter (snippets/autograd/saved_bytes.py)."""

import gc

import torch

from snippets.autograd.saved_bytes import SavedBytes


def test_saved_bytes_match_a_hand_count():
    counter = SavedBytes()
    x = torch.randn(1000, requires_grad=True)  # float32: 4 bytes each
    with counter.track():
        y = x.sin().exp().sum()  # sin saves x (4000 B), exp saves its output (4000 B), sum saves none
    assert counter.held == 8000
    y.backward()  # frees them
    gc.collect()
    assert counter.held == 0

    with counter.track():
        y = (x * 3.0).exp().sum()  # mul by a number saves nothing for x; exp saves its output
    assert counter.held == 4000
    y.backward(retain_graph=True)
    gc.collect()
    assert counter.held == 4000  # retained
    del y
    gc.collect()
    assert counter.held == 0
