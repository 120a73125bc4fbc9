"""Plans a build (which jobs are stale) and brings every job up to date.

:func:`ensure` is the one entry point, used by the MkDocs hook and by the CLI alike. It reads
the jobs and the import graph from the source, computes every key, finds cached entries, and
runs what is stale in worker processes (:mod:`snippets.build.worker`). It imports nothing
heavy itself: when every job is cached, a build never imports torch or matplotlib.

Stale jobs run in *lanes*: ``$MODEL_NOTES_BUILD_JOBS`` worker processes (default two, see
:func:`lane_count`), each running one job at a time on one thread. This process hands a job to
an idle worker as soon as the jobs it needs have run, longest known job first, and reads each
worker's events on a thread of its own. Every job seeds its random generators when it starts,
so which worker runs it, and after what, does not change its files.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks
from .cache import PACKAGE_DIR, Cache, artifact_names, compute_key, key_inputs
from .deps import ProjectGraph
from .jobs import JobSpec, discover, topological

# Failures seen by this process, by (job id, key). ``make serve`` rebuilds in one process:
# a job that failed is not run again until its key changes, so saving prose stays instant.
_failed_before: dict[tuple[str, str], str] = {}
# The line every build logs (DESIGN.md, contract 3), and how to read it back.
SUMMARY = re.compile(r"figures: (\d+) run, (\d+) cached, (\d+) failed in ([\d.]+)s")
# State of the MkDocs session (command, nesting of i18n passes, last result); see mkdocs_hook.
SESSION: dict = {"command": "build", "depth": 0, "build": None}


@dataclass
class JobResult:
    spec: JobSpec
    key: str
    status: str  # "run", "cached" or "failed"
    seconds: float  # time the job took when it last ran
    folder: Path | None = None
    error: str | None = None

    def artifact(self, name: str) -> Path:
        assert self.folder is not None, f"job {self.spec.id} has no artifacts ({self.status})"
        return self.folder / name


@dataclass
class BuildResult:
    results: dict[str, JobResult]
    seconds: float
    _values: dict = field(default_factory=dict, repr=False)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results.values())

    def summary(self) -> str:
        return (f"figures: {self.count('run')} run, {self.count('cached')} cached, "
                f"{self.count('failed')} failed in {self.seconds:.1f}s")

    @property
    def failures(self) -> list[JobResult]:
        return [r for r in self.results.values() if r.status == "failed"]

    def values(self, job_id: str) -> dict:
        if job_id not in self._values:
            path = self.results[job_id].artifact("values.json")
            self._values[job_id] = json.loads(path.read_text(encoding="utf-8"))
        return self._values[job_id]

    def output(self, job_id: str) -> str:
        return self.results[job_id].artifact("output.txt").read_text(encoding="utf-8")

    def notebook(self, page: str) -> JobResult | None:
        """The result of the notebook job of ``page``, if it has one."""
        return self.results.get(notebooks.job_id(page))

    def figure_files(self, job_id: str) -> dict[str, Path]:
        r = self.results[job_id]
        return {name.split(".")[0]: r.artifact(name) for name in artifact_names("figure", r.spec.format)}


@dataclass
class Plan:
    jobs: dict[str, JobSpec]
    keys: dict[str, str]
    inputs: dict[str, dict]


def notebook_jobs(package_dir: Path) -> dict[str, JobSpec]:
    """One job per article with listings: execute and render its companion notebook."""
    docs = package_dir.parent / "docs"
    if not docs.is_dir():
        return {}
    return {notebooks.job_id(page): JobSpec(id=notebooks.job_id(page), kind="notebook", module="", function="",
                                            path=nb.source, line=1, page=page, external=nb.external,
                                            params={"cells": list(nb.cells), "raises": list(nb.raises)})
            for page, nb in notebooks.discover(docs, package_dir.parent).items()}


def make_plan(package_dir: Path = PACKAGE_DIR) -> Plan:
    jobs = discover(package_dir)
    jobs.update(notebook_jobs(package_dir))
    graph = ProjectGraph(package_dir)
    keys: dict[str, str] = {}
    inputs: dict[str, dict] = {}
    for job_id in topological(jobs, jobs):
        spec = jobs[job_id]
        inputs[job_id] = key_inputs(spec, graph, {n: keys[n] for n in spec.needs})
        keys[job_id] = compute_key(inputs[job_id])
    return Plan(jobs, keys, inputs)


def _describe(spec: JobSpec) -> str:
    return f"{spec.id} ({spec.page})"


def ensure(*, force=(), only=None, cache: Cache | None = None, log=print,
           package_dir: Path = PACKAGE_DIR) -> BuildResult:
    """Bring jobs up to date and return their results.

    ``only``: job ids to consider (default: all; what they need comes along).
    ``force``: job ids to run even when cached.
    """
    start = time.perf_counter()
    cache = cache or Cache()
    plan = make_plan(package_dir)
    unknown = sorted((set(force) | set(only or ())) - set(plan.jobs))
    if unknown:
        raise KeyError(f"no such job: {', '.join(unknown)} (known: {', '.join(sorted(plan.jobs))})")
    wanted = topological(plan.jobs, only if only is not None else plan.jobs)

    results: dict[str, JobResult] = {}
    stale: list[str] = []
    for job_id in wanted:
        spec, key = plan.jobs[job_id], plan.keys[job_id]
        folder = None if job_id in force else cache.lookup(spec, key)
        if folder is not None:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            results[job_id] = JobResult(spec, key, "cached", manifest.get("seconds", 0.0), folder)
        elif (job_id, key) in _failed_before and job_id not in force:
            results[job_id] = JobResult(spec, key, "failed", 0.0, error=_failed_before[(job_id, key)])
        else:
            stale.append(job_id)

    # A job whose need failed earlier in this process cannot run either.
    runnable = []
    for job_id in stale:
        broken = [n for n in plan.jobs[job_id].needs if results.get(n) and results[n].status == "failed"]
        if broken:
            results[job_id] = JobResult(plan.jobs[job_id], plan.keys[job_id], "failed", 0.0,
                                        error=f"not run: the job it needs failed: {', '.join(broken)}")
        else:
            runnable.append(job_id)

    if runnable:
        lanes = min(len(runnable), lane_count())
        log(f"running {len(runnable)} job(s): " + ", ".join(_describe(plan.jobs[j]) for j in runnable)
            + (f" ({lanes} at a time)" if lanes > 1 else ""))
        results.update(_run(runnable, plan, cache, log, package_dir.parent, lanes))
    return BuildResult({j: results[j] for j in wanted}, time.perf_counter() - start)


LANES_ENV = "MODEL_NOTES_BUILD_JOBS"


def lane_count() -> int:
    """How many worker processes run stale jobs at once: ``$MODEL_NOTES_BUILD_JOBS``, else two
    (one on a one-core machine). Each job runs on one thread, so two lanes halve a cold build on
    the 2-core machines this site is built on; more would mostly add memory (every worker holds
    torch and its models) and noise in the jobs that measure timings."""
    value = os.environ.get(LANES_ENV, "").strip()
    if not value:
        return min(2, os.cpu_count() or 1)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{LANES_ENV} must be a whole number of at least 1, got {value!r}")
    return int(value)


def _known_seconds(cache: Cache, job_id: str) -> float:
    """The longest an earlier run of this job took, from the manifests of its entries under
    other keys (0 when none is known): starting long jobs first shortens a build with lanes."""
    longest = 0.0
    for path in (cache.root / job_id).glob("*/manifest.json"):
        try:
            longest = max(longest, float(json.loads(path.read_text(encoding="utf-8")).get("seconds", 0.0)))
        except (OSError, ValueError, AttributeError):
            continue
    return longest


@dataclass
class _Lane:
    """One worker process, fed one job at a time on its stdin."""

    proc: subprocess.Popen
    job: str | None = None  # the job it is running
    alive: bool = True


def _read_events(index: int, stream, events: queue.Queue) -> None:
    """One thread per worker: its stdout lines, whole, onto the shared queue; None at the end."""
    for line in stream:
        events.put((index, line))
    events.put((index, None))


def _run(job_ids: list[str], plan: Plan, cache: Cache, log, root: Path, lanes: int = 1) -> dict[str, JobResult]:
    """Run ``job_ids`` (in topological order) in ``lanes`` worker processes.

    A job is handed to an idle worker once every job it needs has run in this build (needs that
    were cached are done already); among ready jobs the longest known goes first, then the
    topological order. A job whose need failed fails without running.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    order = {j: i for i, j in enumerate(job_ids)}
    priority = {j: (-_known_seconds(cache, j), order[j]) for j in job_ids}
    events: queue.Queue = queue.Queue()
    workers: list[_Lane] = []
    for index in range(min(len(job_ids), lanes)):
        proc = subprocess.Popen([sys.executable, "-m", "snippets.build.worker", str(cache.root.parent)],
                                cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        threading.Thread(target=_read_events, args=(index, proc.stdout, events), daemon=True).start()
        workers.append(_Lane(proc))

    results: dict[str, JobResult] = {}
    waiting = set(job_ids)  # not handed to a worker yet
    code = None  # exit code of the last worker that ended early

    def finish(job_id: str, status: str, seconds: float, error: str | None = None, remember=True):
        spec, key = plan.jobs[job_id], plan.keys[job_id]
        if status == "run":
            results[job_id] = JobResult(spec, key, "run", seconds, cache.lookup(spec, key))
            log(f"job {_describe(spec)} done in {seconds:.1f}s")
            return
        results[job_id] = JobResult(spec, key, "failed", seconds, error=error)
        if remember:
            _failed_before[(job_id, key)] = error
        log(f"job {_describe(spec)} FAILED:\n{error}")

    try:
        while waiting or any(w.job for w in workers):
            ready = []
            for job_id in sorted(waiting, key=order.get):  # needs first, so failures cascade in one pass
                needs = [n for n in plan.jobs[job_id].needs if n in order]  # the others were cached
                broken = [n for n in needs if n in results and results[n].status == "failed"]
                if broken:
                    waiting.discard(job_id)
                    finish(job_id, "failed", 0.0, f"not run: the job it needs failed: {', '.join(broken)}")
                elif all(n in results for n in needs):
                    ready.append(job_id)
            ready.sort(key=priority.get)
            for worker in workers:
                if worker.alive and worker.job is None and ready:
                    worker.job = job_id = ready.pop(0)
                    waiting.discard(job_id)
                    try:
                        worker.proc.stdin.write(json.dumps(_item(job_id, plan)) + "\n")
                        worker.proc.stdin.flush()
                    except OSError:  # the worker has died; its end-of-output event reports the job
                        pass
            if not any(w.job for w in workers):
                # Nothing is running although jobs wait: every worker has died (a live one would
                # have been given a ready job, and some waiting job is ready, the needs being acyclic).
                for job_id in sorted(waiting, key=order.get):
                    finish(job_id, "failed", 0.0, f"the worker process exited with code {code} "
                           "before finishing this job", remember=False)
                break
            index, line = events.get()
            worker = workers[index]
            if line is None:  # the worker ended: with a job, it died running it
                worker.alive, code = False, worker.proc.wait()
                if worker.job is not None:
                    finish(worker.job, "failed", 0.0, f"the worker process exited with code {code} "
                           "before finishing this job", remember=False)
                    worker.job = None
                continue
            event = json.loads(line)
            worker.job = None
            if event["event"] == "done":
                finish(event["job"], "run", event["seconds"])
            else:
                finish(event["job"], "failed", event["seconds"], event["error"])
    finally:
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.proc.stdin.close()  # end of input: an idle worker exits
            if worker.job is not None:  # interrupted (Ctrl-C in `make serve`) while it ran a job
                worker.proc.kill()
        for worker in workers:
            worker.proc.wait()
    return results


def _item(job_id: str, plan: Plan) -> dict:
    """What a worker needs to run one job (one line of its stdin)."""
    spec = plan.jobs[job_id]
    return {"id": job_id, "kind": spec.kind, "module": spec.module, "function": spec.function,
            "page": spec.page, "params": spec.params, "key": plan.keys[job_id],
            "needs": {n: plan.keys[n] for n in spec.needs},
            "need_files": {n: list(plan.jobs[n].params.get("files", ())) for n in spec.needs},
            "inputs": plan.inputs[job_id]}


def failure_message(build: BuildResult) -> str:
    """One paragraph per failed job: job, article, exception (DESIGN.md, contract 5)."""
    parts = []
    for r in build.failures:
        last = r.error.strip().splitlines()[-1] if r.error else "unknown error"
        parts.append(f"build job '{r.spec.id}' for article '{r.spec.page}' failed "
                     f"({r.spec.where}): {last}\n{r.error}")
    return "\n\n".join(parts)
