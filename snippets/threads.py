"""Run torch code on a fixed number of CPU threads, then restore the previous number.

The models on this site are small: a second thread mostly adds waiting, and on a busy
2-core machine it made runs many times slower (one 16-unit LSTM run took over 100 s
instead of about 4 s; a TCN step was 4 to 25 times slower). Timings measured on one
thread also do not depend on what else the machine runs. The build's worker already sets
``OMP_NUM_THREADS=1``; this helper keeps the same behaviour in tests and in readers'
notebooks, and restores the previous setting since the process goes on to other work.
"""

import contextlib

import torch


@contextlib.contextmanager
def torch_threads(n: int = 1):
    """Run with ``n`` intra-op threads.

    Use as ``with torch_threads(1): ...`` or as a decorator, ``@torch_threads(1)``.
    """
    if n < 1:
        raise ValueError(f"threads must be at least 1, got {n}")
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
