"""Counting what a graph keeps alive: the memory behind the tensors saved for backward.

The article /autograd/retain-graph/ shows the section between the ``--8<--`` markers.
"""

# --8<-- [start:counter]
import torch


class SavedBytes:
    """Bytes of memory that autograd's saved tensors keep alive, counted per storage.

    Inside ``with counter.track():`` every tensor a forward pass saves goes through
    ``pack``. Two saved tensors often share memory: a ReLU output is saved by the ReLU
    and by the next Linear, and a weight's transpose is a view of the weight. So the
    counter adds a storage's bytes when the first saved tensor using it arrives and
    takes them off when the last one is freed. Storages of ``exclude`` (the parameters
    and the input: they live whatever autograd does) are not counted.
    """

    def __init__(self, exclude=()):
        self.held = 0  # bytes of the storages counted now
        self._skip = {t.untyped_storage().data_ptr() for t in exclude}
        self._uses = {}  # storage address -> saved tensors using it

    def track(self):
        return torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)

    def _pack(self, tensor):
        storage = tensor.untyped_storage()
        key = storage.data_ptr()
        if key in self._skip:
            return _Held(tensor.detach(), None, self)
        if key not in self._uses:
            self.held += storage.nbytes()
        self._uses[key] = self._uses.get(key, 0) + 1
        # detached: holding the tensor itself would make a cycle to its own grad_fn
        return _Held(tensor.detach(), key, self)

    @staticmethod
    def _unpack(held):
        return held.tensor

    def _release(self, key, nbytes):
        self._uses[key] -= 1
        if self._uses[key] == 0:
            del self._uses[key]
            self.held -= nbytes


class _Held:
    """A saved tensor as autograd keeps it; telling the counter when it is freed."""

    __slots__ = ("tensor", "key", "counter")

    def __init__(self, tensor, key, counter):
        self.tensor, self.key, self.counter = tensor, key, counter

    def __del__(self):
        if self.key is not None:
            self.counter._release(self.key, self.tensor.untyped_storage().nbytes())


# --8<-- [end:counter]
