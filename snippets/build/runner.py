"""Plans a build (which jobs are stale) and brings every job up to date.

:func:`ensure` is the one entry point, used by the MkDocs hook and by the CLI alike. It reads
the jobs and the import graph from the source, computes every key, finds cached entries, and
runs what is stale in worker processes (:mod:`snippets.build.worker`). It imports nothing
heavy itself: when every job is cached, a build never imports torch or matplotlib.

Stale jobs run in *lanes*: ``$MODEL_NOTES_BUILD_JOBS`` worker processes (default two, see
:func:`lane_count`), each running one job at a time on one thread. This process hands a job to
an idle worker as soon as the jobs it needs have run, longest known job first, and reads each
worker's events on a thread of its own. A job that runs past its ``timeout=`` is stopped (its
worker is killed) and fails naming itself; a worker that dies is replaced, so the other jobs
still run. Every job seeds its random generators when it starts, so which worker runs it, and
after what, does not change its files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks, variants
from .cache import MANIFEST, PACKAGE_DIR, Cache, cache_root, compute_key, key_inputs
from .deps import ProjectGraph
from .jobs import JobSpec, discover, topological
from .languages import languages, site_pages

# Failures seen by this process, by (job id, key). ``make serve`` rebuilds in one process:
# a job that failed is not run again until its key changes, so saving prose stays instant.
_failed_before: dict[tuple[str, str], str] = {}
# The line every build logs (DESIGN.md, contract 3), and how to read it back.
SUMMARY = re.compile(r"jobs: (\d+) run, (\d+) cached, (\d+) failed in ([\d.]+)s")
# State of the MkDocs session (command, nesting of i18n passes, last result); see mkdocs_hook.
SESSION: dict = {"command": "build", "depth": 0, "build": None, "used": set()}


@dataclass
class JobResult:
    spec: JobSpec
    key: str
    status: str  # "run", "cached", "failed", or "pending" (running in the background: `mkdocs serve`)
    seconds: float  # time the job took when it last ran
    folder: Path | None = None
    error: str | None = None
    eta: float | None = None  # pending: seconds until it should be done, if its duration is known

    def artifact(self, name: str) -> Path:
        assert self.folder is not None, f"job {self.spec.id} has no artifacts ({self.status})"
        return self.folder / name

    def manifest(self) -> dict:
        """What the cache recorded when the job ran: its inputs, seconds and machine."""
        return json.loads(self.artifact(MANIFEST).read_text(encoding="utf-8"))


@dataclass
class BuildResult:
    results: dict[str, JobResult]
    seconds: float
    langs: tuple[str, ...] = ()
    _values: dict = field(default_factory=dict, repr=False)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results.values())

    def summary(self) -> str:
        return (f"jobs: {self.count('run')} run, {self.count('cached')} cached, "
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

    def figure_files(self, job_id: str, lang: str) -> dict[str, Path]:
        """Theme -> file of a figure's variants in ``lang``."""
        r = self.results[job_id]
        return {theme: r.artifact(variants.artifact(f"{lang}-{theme}", r.spec.format)) for theme in variants.THEMES}

    def unused(self, used: set[str]) -> list[JobSpec]:
        """The jobs no page uses: not named by any page in ``used``, not needed by one that is,
        and not a notebook (its article uses it)."""
        needed, todo = set(), [j for j in used if j in self.results]
        while todo:
            job_id = todo.pop()
            if job_id not in needed:
                needed.add(job_id)
                todo.extend(self.results[job_id].spec.needs)
        return [r.spec for j, r in sorted(self.results.items()) if j not in needed and r.spec.kind != "notebook"]


@dataclass
class Plan:
    jobs: dict[str, JobSpec]
    keys: dict[str, str]
    inputs: dict[str, dict]
    langs: tuple[str, ...]
    quick: bool = False


def notebook_jobs(package_dir: Path, langs, graph: ProjectGraph | None = None,
                  jobs: dict[str, JobSpec] | None = None) -> dict[str, JobSpec]:
    """One job per article with listings: execute and render its companion notebook. ``jobs``:
    the project's jobs, for the download's cells that redraw figures and tables."""
    docs = package_dir.parent / "docs"
    if not docs.is_dir():
        return {}
    return {notebooks.job_id(page): JobSpec(id=notebooks.job_id(page), kind="notebook", module="", function="",
                                            path=nb.source, line=1, page=page, external=nb.external,
                                            needs=tuple(dict.fromkeys(j for r in nb.reruns for j in r["values"])),
                                            params={"cells": list(nb.cells), "raises": list(nb.raises),
                                                    "setup": nb.setup, "reruns": list(nb.reruns),
                                                    "langs": list(langs)})
            for page, nb in notebooks.discover(docs, package_dir.parent, langs, graph, jobs).items()}


def make_plan(package_dir: Path = PACKAGE_DIR, *, quick: bool = False) -> Plan:
    """Every job of the project with its key. ``quick``: the quick profile of every job (what the
    test suite runs), without the notebooks, which run the pages' listings as they are."""
    root = package_dir.parent
    langs = languages(root)
    docs = root / "docs"
    jobs = discover(package_dir, site_pages(docs, langs) if docs.is_dir() else None)
    figure_variants = variants.variants(langs)
    for job_id, spec in jobs.items():
        if spec.kind == "figure":
            jobs[job_id] = dataclasses.replace(spec, params={**spec.params, "variants": list(figure_variants)})
    graph = ProjectGraph(package_dir)
    if not quick:
        jobs.update(notebook_jobs(package_dir, langs, graph, jobs))
    memo = cache_root() / "libraries"  # the index of installed libraries, shared by every cache folder
    keys: dict[str, str] = {}
    inputs: dict[str, dict] = {}
    for job_id in topological(jobs, jobs):
        spec = jobs[job_id]
        inputs[job_id] = key_inputs(spec, graph, {n: keys[n] for n in spec.needs}, memo_dir=memo, quick=quick)
        keys[job_id] = compute_key(inputs[job_id])
    return Plan(jobs, keys, inputs, langs, quick)


def _describe(spec: JobSpec) -> str:
    return f"{spec.id} ({spec.page})"


def ensure(*, force=(), only=None, cache: Cache | None = None, log=print,
           package_dir: Path = PACKAGE_DIR, quick: bool = False,
           background: Background | None = None) -> BuildResult:
    """Bring jobs up to date and return their results.

    ``only``: job ids to consider (default: all; what they need comes along).
    ``force``: job ids to run even when cached.
    ``quick``: run every job with its quick profile (see :func:`make_plan`).
    ``background``: hand stale jobs to it and return at once, with those jobs "pending"
    (`mkdocs serve`); a job it ran since its last summary counts as "run".
    """
    start = time.perf_counter()
    cache = cache or Cache()
    plan = make_plan(package_dir, quick=quick)
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
            ran = background is not None and background.ran(job_id, key)
            results[job_id] = JobResult(spec, key, "run" if ran else "cached", manifest.get("seconds", 0.0), folder)
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

    if runnable and background is not None:
        etas = background.submit(runnable, plan, cache, log, package_dir.parent)
        for job_id in runnable:
            results[job_id] = JobResult(plan.jobs[job_id], plan.keys[job_id], "pending", 0.0, eta=etas.get(job_id))
        runnable = []
    if runnable:
        lanes = min(len(runnable), lane_count())
        log(f"running {len(runnable)} job(s): " + ", ".join(_describe(plan.jobs[j]) for j in runnable)
            + (f" ({lanes} at a time)" if lanes > 1 else ""))
        results.update(_Lanes(runnable, plan, cache, log, package_dir.parent, lanes).run())
    seconds = time.perf_counter() - start
    if background is not None and background.since is not None:  # the background run's wall time
        seconds = time.perf_counter() - background.since
    return BuildResult({j: results[j] for j in wanted}, seconds, plan.langs)


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


def known_seconds(cache: Cache, job_id: str) -> float:
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
class _Worker:
    """One worker process, fed one job at a time on its stdin."""

    proc: subprocess.Popen
    job: str | None = None  # the job it is running
    deadline: float = 0.0  # when that job runs out of time (time.monotonic())
    timed_out: bool = False  # it was killed for running past the deadline
    alive: bool = True
    code: int | None = None  # its exit code, once it has ended


class _Lanes:
    """Runs ``job_ids`` (in topological order) in ``lanes`` worker processes.

    A job is handed to an idle worker once every job it needs has run in this build (needs that
    were cached are done already); among ready jobs the longest known goes first, then those with
    a quick profile, then the topological order. A job whose need failed fails without running.
    """

    def __init__(self, job_ids: list[str], plan: Plan, cache: Cache, log, root: Path, lanes: int,
                 first=lambda: frozenset(), watch=lambda event, job_id: None):
        """``first()``: the jobs to start before the others when ready (those of the page open in
        the browser); ``watch(event, job_id)``: told of each "start" and "end"."""
        self.plan, self.cache, self.log, self.root = plan, cache, log, root
        self.first, self.watch = first, watch
        self.order = {j: i for i, j in enumerate(job_ids)}
        # Longest known first; on a cold cache nothing is known, and a job with a quick profile goes
        # first: it has one because its full run is long (tests/articles/test_quick_profiles.py).
        self.priority = {j: (-known_seconds(cache, j), not plan.jobs[j].quick, self.order[j]) for j in job_ids}
        self.waiting = set(job_ids)  # not handed to a worker yet
        self.results: dict[str, JobResult] = {}
        self.events: queue.Queue = queue.Queue()
        self.workers: list[_Worker] = []
        for index in range(min(len(job_ids), lanes)):
            self.workers.append(self._start(index))

    def _start(self, index: int) -> _Worker:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.root), env.get("PYTHONPATH")]))
        env.setdefault("MPLBACKEND", "Agg")
        proc = subprocess.Popen([sys.executable, "-m", "snippets.build.worker", str(self.cache.root.parent)],
                                cwd=self.root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        threading.Thread(target=_read_events, args=(index, proc, self.events), daemon=True).start()
        return _Worker(proc)

    def finish(self, job_id: str, status: str, seconds: float, error: str | None = None, remember=True):
        spec, key = self.plan.jobs[job_id], self.plan.keys[job_id]
        if status == "run":
            self.results[job_id] = JobResult(spec, key, "run", seconds, self.cache.lookup(spec, key))
            self.log(f"job {_describe(spec)} done in {seconds:.1f}s")
        else:
            self.results[job_id] = JobResult(spec, key, "failed", seconds, error=error)
            if remember:
                _failed_before[(job_id, key)] = error
            self.log(f"job {_describe(spec)} FAILED:\n{error}")
        self.watch("end", job_id)

    def ready(self) -> list[str]:
        """Waiting jobs whose needs have run, in the order to start them; fails those whose need
        failed (needs first, so failures cascade in one pass)."""
        ready = []
        for job_id in sorted(self.waiting, key=self.order.get):
            needs = [n for n in self.plan.jobs[job_id].needs if n in self.order]  # the others were cached
            broken = [n for n in needs if n in self.results and self.results[n].status == "failed"]
            if broken:
                self.waiting.discard(job_id)
                self.finish(job_id, "failed", 0.0, f"not run: the job it needs failed: {', '.join(broken)}")
            elif all(n in self.results for n in needs):
                ready.append(job_id)
        first = self.first()
        return sorted(ready, key=lambda j: (j not in first, self.priority[j]))

    def hand_out(self, ready: list[str]) -> None:
        for worker in self.workers:
            if worker.alive and worker.job is None and ready:
                worker.job = job_id = ready.pop(0)
                worker.deadline = time.monotonic() + self.plan.jobs[job_id].timeout
                self.waiting.discard(job_id)
                self.watch("start", job_id)
                try:
                    worker.proc.stdin.write(json.dumps(self.item(job_id)) + "\n")
                    worker.proc.stdin.flush()
                except OSError:  # the worker has died; its end-of-output event reports the job
                    pass

    def stop_late_jobs(self) -> None:
        now = time.monotonic()
        for worker in self.workers:
            if worker.job is not None and not worker.timed_out and now > worker.deadline:
                worker.timed_out = True
                worker.proc.kill()  # its end-of-output event fails the job and replaces the worker

    def ended(self, index: int) -> None:
        """Worker ``index`` has exited: fail the job it was running, and start another worker in
        its place while jobs remain."""
        worker = self.workers[index]
        worker.alive, worker.code = False, worker.proc.wait()
        code = worker.code
        if worker.job is not None:
            spec = self.plan.jobs[worker.job]
            if worker.timed_out:
                error = (f"job {spec.id!r} ({spec.where}) ran past its time limit of {spec.timeout:g} s "
                         "and was stopped (raise it with timeout= in its decorator)")
            else:
                error = f"the worker process exited with code {code} before finishing this job"
            self.finish(worker.job, "failed", 0.0, error, remember=worker.timed_out)
            worker.job = None
            if self.waiting:  # a worker that died running a job is replaced; one that died idle is not
                self.workers[index] = self._start(index)

    def run(self) -> dict[str, JobResult]:
        try:
            while self.waiting or any(w.job for w in self.workers):
                self.hand_out(self.ready())
                if not any(w.job for w in self.workers):
                    # Nothing runs although jobs may wait: every worker has died (a live one would
                    # have been given a ready job, the needs being acyclic), or nothing is left.
                    code = next((w.code for w in self.workers if not w.alive), None)
                    for job_id in sorted(self.waiting, key=self.order.get):
                        self.finish(job_id, "failed", 0.0, f"the worker process exited with code {code} "
                                    "before finishing this job", remember=False)
                    break
                busy = [w.deadline for w in self.workers if w.job is not None and not w.timed_out]
                wait = max(0.0, min(busy) - time.monotonic()) + 0.05 if busy else None
                try:
                    index, line = self.events.get(timeout=wait)
                except queue.Empty:
                    self.stop_late_jobs()
                    continue
                if line is None:
                    self.ended(index)
                    continue
                event = json.loads(line)
                self.workers[index].job = None
                if event["event"] == "done":
                    self.finish(event["job"], "run", event["seconds"])
                else:
                    self.finish(event["job"], "failed", event["seconds"], event["error"])
        finally:
            for worker in self.workers:
                with contextlib.suppress(OSError):
                    worker.proc.stdin.close()  # end of input: an idle worker exits
                if worker.job is not None:  # interrupted (Ctrl-C in `make serve`) while it ran a job
                    worker.proc.kill()
            for worker in self.workers:
                worker.proc.wait()
        return self.results

    def item(self, job_id: str) -> dict:
        """What a worker needs to run one job (one line of its stdin)."""
        spec, plan = self.plan.jobs[job_id], self.plan
        return {"id": job_id, "kind": spec.kind, "module": spec.module, "function": spec.function,
                "page": spec.page, "params": spec.params, "key": plan.keys[job_id],
                "quick": spec.quick if plan.quick else {}, "artifacts": list(spec.artifacts),
                "needs": {n: plan.keys[n] for n in spec.needs},
                "need_files": {n: list(plan.jobs[n].files) for n in spec.needs},
                "inputs": plan.inputs[job_id]}


class Background:
    """The stale jobs of `mkdocs serve`, run on a thread of the serving process while it answers.

    The first build of a cold cache would otherwise keep the server silent until every job has
    run once. Here :func:`ensure` hands the stale jobs over and returns at once; pages show a
    notice where a pending job's figure, output or value goes (:mod:`snippets.build.pages`). The
    jobs run in the same lanes, order and cache as a build's, except that the jobs of the page
    the browser shows (``focus``, told by the hook) start first when ready. Each time one ends,
    ``on_end`` asks for a rebuild (the server then reloads the browser), and ``progress`` gets one
    line: jobs done / total, the jobs running, time left. A job handed over again with the same
    key while it is queued or running is not started twice, so saving prose while a job runs
    rebuilds the pages without restarting it. Written here rather than with a task library: it
    reuses the build's own lanes, and the serving process needs nothing more than one thread.
    """

    def __init__(self, on_end=lambda: None, progress=print):
        self.on_end, self.progress = on_end, progress
        self.focus: str | None = None  # the page the browser shows ("vit/attention-map"), if known
        self.lock = threading.RLock()
        self.thread: threading.Thread | None = None
        self.plan: Plan | None = None
        self.todo: list[str] = []  # handed over, not yet in a run
        self.batch: dict[str, str] = {}  # the run going on: job -> key
        self.lanes: _Lanes | None = None
        self.started: dict[str, float] = {}  # running job -> time.monotonic() at its start
        self.done: dict[str, str] = {}  # job -> key, ended since the last summary
        self.known: dict[str, float] = {}  # job -> its last known duration (0: unknown)
        self.since: float | None = None  # time.perf_counter() when the first of them was handed over

    def submit(self, job_ids: list[str], plan: Plan, cache: Cache, log, root: Path) -> dict[str, float | None]:
        """Run ``job_ids`` (stale, in topological order) unless they are queued or running under
        the same keys already. Returns each one's expected time to finish (:meth:`etas`)."""
        with self.lock:
            self.plan, self.cache, self.log, self.root = plan, cache, log, root
            active = {j for j, key in self.batch.items() if plan.keys.get(j) == key and j not in self.done}
            new = [j for j in job_ids if j not in active and j not in self.todo]
            for job_id in new:
                self.known[job_id] = known_seconds(cache, job_id)
                self.done.pop(job_id, None)
            if new:
                if self.since is None:
                    self.since = time.perf_counter()
                self.todo.extend(new)
                log(f"running {len(new)} job(s): " + ", ".join(_describe(plan.jobs[j]) for j in new)
                    + " (in the background; the pages show them as they finish)")
                if self.thread is None:
                    self.thread = threading.Thread(target=self._loop, name="build-jobs", daemon=True)
                    self.thread.start()
            return self.etas()

    def stop(self) -> None:
        """The server is shutting down: drop what waits and kill the workers of the run going on."""
        with self.lock:
            self.todo = []
            lanes = self.lanes
        if lanes is not None:
            lanes.waiting.clear()
            for worker in lanes.workers:
                with contextlib.suppress(OSError):
                    worker.proc.kill()

    def ran(self, job_id: str, key: str) -> bool:
        """Whether the job ended under ``key`` in the background since the last summary."""
        with self.lock:
            return self.done.get(job_id) == key

    def reported(self) -> None:
        """The summary line of these jobs has been logged: count afresh from here."""
        with self.lock:
            self.done, self.since = {}, None

    def first(self) -> frozenset:
        """The focus page's jobs and what they need: they start first when ready."""
        plan, page = self.plan, self.focus
        if plan is None or page is None:
            return frozenset()
        return frozenset(topological(plan.jobs, [j for j, spec in plan.jobs.items() if spec.page == page]))

    def _loop(self) -> None:
        while True:
            with self.lock:
                plan = self.plan
                todo = [j for j in self.todo
                        if j in plan.jobs and self.cache.lookup(plan.jobs[j], plan.keys[j]) is None]
                todo = [j for j in topological(plan.jobs, todo) if j in todo]
                self.todo = []
                if not todo:
                    self.thread, self.batch, self.lanes = None, {}, None
                    return
                self.batch = {j: plan.keys[j] for j in todo}
                self.lanes = _Lanes(todo, plan, self.cache, self.log, self.root, min(len(todo), lane_count()),
                                    first=self.first, watch=self._watch)
            self.lanes.run()

    def _watch(self, event: str, job_id: str) -> None:
        with self.lock:
            if event == "start":
                self.started[job_id] = time.monotonic()
            else:
                self.started.pop(job_id, None)
                result = self.lanes.results[job_id]
                self.done[job_id] = result.key
                if result.status == "failed":  # not handed over again by the next rebuild
                    _failed_before[(job_id, result.key)] = result.error
            # one line per change: a job that ends is followed at once by the next one's start
            line = self.progress_line() if event == "start" or not self.lanes.waiting else None
        if line:
            self.progress(line)
        if event == "end":
            self.on_end()

    def waiting(self) -> list[str]:
        """Jobs handed over that have not started, in about the order they will start."""
        with self.lock:
            plan = self.plan
            jobs = [j for j in [*self.batch, *self.todo] if j not in self.started and j not in self.done]
            first = self.first()
            order = {j: i for i, j in enumerate(topological(plan.jobs, jobs))} if plan else {}
            return sorted(dict.fromkeys(jobs), key=lambda j: (j not in first, -self.known.get(j, 0.0), order.get(j, 0)))

    def etas(self) -> dict[str, float | None]:
        """Seconds from now until each job handed over should be done: the jobs running, then the
        waiting ones laid out on the lanes in order, each taking its last known duration. None
        where a duration on the way is unknown (a job that never ran)."""
        with self.lock:
            now, finish, lanes = time.monotonic(), {}, []
            for job_id, start in self.started.items():
                known = self.known.get(job_id, 0.0)
                left = max(known - (now - start), 1.0) if known else None
                finish[job_id] = left
                lanes.append((left or 0.0, left is None))
            lanes += [(0.0, False)] * max(0, lane_count() - len(lanes))
            for job_id in self.waiting():
                lanes.sort()
                free, unknown = lanes.pop(0)
                needs = [finish[n] for n in self.plan.jobs[job_id].needs if n in finish]
                unknown = unknown or None in needs or not self.known.get(job_id)
                end = max([free, *[n for n in needs if n is not None]]) + self.known.get(job_id, 0.0)
                finish[job_id] = None if unknown else end
                lanes.append((end, unknown))
            return finish

    def progress_line(self) -> str:
        with self.lock:
            total = len(set(self.done) | set(self.batch) | set(self.todo))
            etas = self.etas()
            running = ", ".join(_describe(self.plan.jobs[j]) for j in self.started) or "nothing"
            left = [e for e in etas.values()]
            if not left:
                when = "done"
            elif None in left:
                when = "time left unknown"
            else:
                when = f"about {math.ceil(max(left))} s left"
            return f"build jobs: {len(self.done)}/{total} done, running {running}, {when}"


def _read_events(index: int, proc: subprocess.Popen, events: queue.Queue) -> None:
    """One thread per worker: its stdout lines, whole, onto the shared queue; None at the end."""
    for line in proc.stdout:
        events.put((index, line))
    events.put((index, None))


def failure_message(build: BuildResult) -> str:
    """One paragraph per failed job: job, article, exception (DESIGN.md, contract 5)."""
    parts = []
    for r in build.failures:
        last = r.error.strip().splitlines()[-1] if r.error else "unknown error"
        parts.append(f"build job '{r.spec.id}' for article '{r.spec.page}' failed "
                     f"({r.spec.where}): {last}\n{r.error}")
    return "\n\n".join(parts)
