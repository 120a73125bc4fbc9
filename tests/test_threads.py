"""The thread helper (snippets/threads.py)."""

import pytest
import torch

from snippets.threads import torch_threads


def test_sets_the_threads_and_restores_them():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_restores_the_threads_when_the_block_raises():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), torch_threads(1):
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before


def test_needs_at_least_one_thread():
    with pytest.raises(ValueError, match="threads must be at least 1, got 0"), torch_threads(0):
        pass
