"""Plans a build (which jobs are stale) and brings every job up to date.

:func:`ensure` is the one entry point, used by the MkDocs hook and by the CLI alike. It reads
the jobs and the import graph from the source, computes every key, finds cached entries, and
runs what is stale in one worker process (:mod:`snippets.build.worker`). It imports nothing
heavy itself: when every job is cached, a build never imports torch or matplotlib.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
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
                                            path=nb.source, line=1, page=page,
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
        log(f"running {len(runnable)} job(s): " + ", ".join(_describe(plan.jobs[j]) for j in runnable))
        results.update(_run(runnable, plan, cache, log, package_dir.parent))
    return BuildResult({j: results[j] for j in wanted}, time.perf_counter() - start)


def _run(job_ids: list[str], plan: Plan, cache: Cache, log, root: Path) -> dict[str, JobResult]:
    items = [{"id": j, "kind": plan.jobs[j].kind, "module": plan.jobs[j].module,
              "function": plan.jobs[j].function, "page": plan.jobs[j].page,
              "params": plan.jobs[j].params, "key": plan.keys[j],
              "needs": {n: plan.keys[n] for n in plan.jobs[j].needs},
              "need_files": {n: list(plan.jobs[n].params.get("files", ())) for n in plan.jobs[j].needs},
              "inputs": plan.inputs[j]}
             for j in job_ids]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    proc = subprocess.Popen([sys.executable, "-m", "snippets.build.worker"], cwd=root, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps({"cache_root": str(cache.root.parent), "jobs": items}))
    proc.stdin.close()
    results: dict[str, JobResult] = {}
    for line in proc.stdout:
        event = json.loads(line)
        job_id = event["job"]
        spec, key = plan.jobs[job_id], plan.keys[job_id]
        if event["event"] == "done":
            results[job_id] = JobResult(spec, key, "run", event["seconds"], cache.lookup(spec, key))
            log(f"job {_describe(spec)} done in {event['seconds']:.1f}s")
        else:
            results[job_id] = JobResult(spec, key, "failed", event["seconds"], error=event["error"])
            _failed_before[(job_id, key)] = event["error"]
            log(f"job {_describe(spec)} FAILED:\n{event['error']}")
    code = proc.wait()
    for job_id in job_ids:
        if job_id not in results:
            spec, key = plan.jobs[job_id], plan.keys[job_id]
            error = f"the worker process exited with code {code} before finishing this job"
            results[job_id] = JobResult(spec, key, "failed", 0.0, error=error)
    return results


def failure_message(build: BuildResult) -> str:
    """One paragraph per failed job: job, article, exception (DESIGN.md, contract 5)."""
    parts = []
    for r in build.failures:
        last = r.error.strip().splitlines()[-1] if r.error else "unknown error"
        parts.append(f"build job '{r.spec.id}' for article '{r.spec.page}' failed "
                     f"({r.spec.where}): {last}\n{r.error}")
    return "\n\n".join(parts)
