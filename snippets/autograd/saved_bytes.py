"""Counting what a graph keeps alive: the bytes of the tensors saved for backward.

The article /autograd/retain-graph/ shows the section between the ``--8<--`` markers.
"""

# --8<-- [start:counter]
import torch


class SavedBytes:
    """Bytes of the tensors autograd has saved for backward and still holds.

    Inside ``with counter.track():`` every tensor a forward pass saves goes through
    ``pack``; the wrapper it returns lives exactly as long as autograd keeps the saved
    tensor, so ``held`` drops when backward frees a graph. The wrapper keeps a detached
    view: keeping the tensor itself would tie a saved output to its own grad_fn in a
    cycle that Python's garbage collector cannot see, and the graph would never be
    freed. A tensor saved by two operations is counted twice: this is what the graph
    references, not distinct storage.
    """

    def __init__(self):
        self.held = 0
        self.saved = 0  # everything packed so far, freed or not

    def track(self):
        return torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)

    def _pack(self, tensor):
        nbytes = tensor.numel() * tensor.element_size()
        self.held += nbytes
        self.saved += nbytes
        return _Held(tensor.detach(), nbytes, self)  # detached: no cycle to the graph

    @staticmethod
    def _unpack(held):
        return held.tensor


class _Held:
    __slots__ = ("tensor", "nbytes", "counter")

    def __init__(self, tensor, nbytes, counter):
        self.tensor, self.nbytes, self.counter = tensor, nbytes, counter

    def __del__(self):
        self.counter.held -= self.nbytes


# --8<-- [end:counter]
