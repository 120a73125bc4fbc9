"""Progress lines for long jobs, written to stderr while the worker runs them.

A job calls :func:`report` (or wraps a loop in :func:`track`); lines are throttled to one
every few seconds so a fast job prints nothing and a slow one shows it is alive::

    for epoch in track(range(30), "epoch"):
        ...
"""

from __future__ import annotations

import sys
import time

EVERY = 2.0  # seconds between two lines
_state = {"job": None, "start": 0.0, "last": 0.0}


def start(job_id: str) -> None:
    now = time.perf_counter()
    _state.update(job=job_id, start=now, last=now)


def stop() -> None:
    _state["job"] = None


def report(message: str, *, force: bool = False) -> None:
    """Print ``message`` under the running job's name, at most once every few seconds."""
    if _state["job"] is None:  # called outside a build (tests, notebooks): stay quiet
        return
    now = time.perf_counter()
    if force or now - _state["last"] >= EVERY:
        _state["last"] = now
        print(f"  [{_state['job']}] {now - _state['start']:6.1f}s  {message}", file=sys.stderr, flush=True)


def track(iterable, label: str, total: int | None = None):
    """Yield from ``iterable``, reporting ``label i/total`` as it goes."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    for i, item in enumerate(iterable, 1):
        yield item
        report(f"{label} {i}/{total}" if total else f"{label} {i}")
