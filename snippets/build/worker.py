"""Runs stale jobs in a fresh interpreter: ``python -m snippets.build.worker <cache folder>``.

The MkDocs process never imports a job module (so never torch); it starts workers when
something is stale (:class:`snippets.build.runner._Lanes`, one per lane). A fresh process also
means an edited module is imported anew on every ``make serve`` rebuild, and that matplotlib
and RNG state never leak between builds.

Protocol: the parent writes one job per line on stdin (JSON, the next only after this one's
event) and closes stdin when it has no more; the worker answers each with one JSON event per
line on stdout (``done`` or ``failed``). Anything else written to stdout, by a job, a C library
or a notebook kernel, goes to stderr, except in ``output`` jobs, which capture what they print.

Which jobs share a worker, and in what order, differs with the number of lanes, so nothing
may carry over from one job to the next: each job seeds Python's, numpy's and torch's
generators when it starts (so a job module that uses torch imports it at the top, before the
seeding), figures are drawn inside their theme's ``rc_context``, and job modules must not keep
results in module state.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import os
import random
import sys
import time
import traceback
from pathlib import Path

from . import environment, progress, variants

# One thread per job, here and in the notebook kernels this process starts (set before torch is
# imported). The models on this site are small: a second thread mostly adds waiting, and on a busy
# 2-core machine it made runs many times slower. Results then also do not depend on how many
# cores the building machine has. This file is part of every job's key, so changing it re-runs all.
os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"
from .cache import Cache

SEED = 0


def seed_everything(seed: int = SEED) -> None:
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover - numpy is a requirement
        pass
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def _plain(value):
    """numpy and torch scalars/arrays to plain Python, for ``json.dumps``."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"a values job must return JSON values, got {type(value).__name__}: {value!r}")


def _job_traceback(exc: BaseException) -> str:
    """The traceback from the job's own code down, without this worker's frames."""
    tb = exc.__traceback__
    while tb is not None and Path(tb.tb_frame.f_code.co_filename).resolve() == Path(__file__).resolve():
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()


def run_one(item: dict, cache: Cache, events) -> None:
    job_id, kind, key = item["id"], item["kind"], item["key"]
    start = time.perf_counter()
    progress.start(job_id)
    tmp = cache.staging(job_id, key)
    if kind == "notebook":  # its needs: the values its figure and table cells read (notebooks.build)
        from . import notebooks

        entries = {need_id: cache.entry(need_id, key) for need_id, key in item["needs"].items()}
        notebooks.build(item["params"], f"{item['id']} ({item['page']})", entries, tmp)
    else:
        module = importlib.import_module(item["module"])
        fn = getattr(module, item["function"])
        seed_everything()
        args = {**_needs(item, cache), **item["quick"]}  # the quick profile's keyword arguments
        {"figure": _figure, "output": _output, "values": _values}[kind](fn, args, item, tmp)
    missing = [n for n in item["artifacts"] if not (tmp / n).is_file()]
    if missing:  # pragma: no cover - guarded by the functions above
        raise RuntimeError(f"job {job_id!r} did not write {missing}")
    seconds = time.perf_counter() - start
    cache.commit(tmp, job_id, key, {"job": job_id, "key": key, "kind": kind, "page": item["page"],
                                    "seconds": round(seconds, 3), "inputs": item["inputs"],
                                    "machine": environment.machine()})  # for {{ measured_on job-id }}
    events.write(json.dumps({"event": "done", "job": job_id, "seconds": seconds}) + "\n")
    events.flush()


def _needs(item: dict, cache: Cache) -> dict:
    """The values of the jobs this one needs, by argument name, with the paths of their files."""
    needs = {}
    for need_id, need_key in item["needs"].items():
        entry = cache.entry(need_id, need_key)
        needs[need_id.replace("-", "_")] = need = json.loads((entry / "values.json").read_text(encoding="utf-8"))
        if item["need_files"].get(need_id):
            need["files"] = {name: str(entry / name) for name in item["need_files"][need_id]}
    return needs


def _figure(fn, args: dict, item: dict, tmp: Path) -> None:
    """Every variant of a figure. A plain job function is called once per variant; a generator
    function is called once (its computation runs once) and yields one Figure per variant."""
    from .theme import render, theme

    fmt, names = item["params"]["format"], item["params"]["variants"]
    themes = [theme(name) for name in names]

    def drawn():
        if inspect.isgeneratorfunction(fn):
            figures = fn(themes, **args)  # computes once, then draws each variant on demand
            for t in themes:
                with t.context():
                    yield t, next(figures, None)
            if next(figures, None) is not None:
                raise ValueError(f"figure job {item['id']!r} yielded more figures than its {len(themes)} variants")
        else:
            for t in themes:
                seed_everything()
                with t.context():
                    yield t, fn(t, **args)

    for t, fig in drawn():
        if fig is None or not hasattr(fig, "savefig"):
            raise TypeError(f"figure job {item['id']!r} must return (or yield) a matplotlib Figure for each of its "
                            f"variants ({', '.join(names)}), got {fig!r} for {t.variant}")
        with t.context():
            (tmp / variants.artifact(t.variant, fmt)).write_bytes(render(fig, fmt))


def _output(fn, args: dict, item: dict, tmp: Path) -> None:
    buf = io.StringIO()
    expected = item["params"].get("raises")
    raised = None
    with contextlib.redirect_stdout(buf):
        try:
            fn(**args)
        except Exception as exc:  # noqa: BLE001 - compared with what the job declared below
            if expected is None or type(exc).__name__ != expected:
                raise
            raised = exc
    text = buf.getvalue()
    if expected is not None:
        if raised is None:
            raise AssertionError(f"output job {item['id']!r} declares raises={expected!r}, but nothing was raised")
        text += "".join(traceback.format_exception_only(type(raised), raised))
    (tmp / "output.txt").write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def _values(fn, args: dict, item: dict, tmp: Path) -> None:
    files = item["params"].get("files", ())
    result = fn(outdir=tmp, **args) if files else fn(**args)
    missing = [name for name in files if not (tmp / name).is_file()]
    if missing:
        raise FileNotFoundError(f"values job {item['id']!r} declares files {list(files)} but did not write "
                                f"{missing} into outdir ({tmp})")
    if not isinstance(result, dict):
        raise TypeError(f"values job {item['id']!r} must return a dict, got {type(result).__name__}")
    text = json.dumps(result, indent=2, sort_keys=True, default=_plain, allow_nan=False)
    (tmp / "values.json").write_text(text + "\n", encoding="utf-8")


def main() -> int:
    cache = Cache(Path(sys.argv[1]))
    # Events go out on a private copy of stdout; file descriptor 1 becomes stderr, so that a
    # stray print, from Python or from C code, cannot break a line of the protocol.
    events = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        item = json.loads(line)
        start = time.perf_counter()
        try:
            run_one(item, cache, events)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the next job still runs
            events.write(json.dumps({"event": "failed", "job": item["id"], "seconds": time.perf_counter() - start,
                                     "error": _job_traceback(exc)}) + "\n")
            events.flush()
        finally:
            progress.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
