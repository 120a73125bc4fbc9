"""Sharded builds: the stale jobs split among N machines, whose cache entries are then merged.

The cache is content-addressed (:mod:`snippets.build.cache`), so an entry made on one machine is
valid on any other with the same sources and libraries. A sharded build is therefore three plain
steps, which GitHub Actions runs as a plan job, a matrix of shard jobs and a final job
(``.github/workflows/build-jobs.yml``):

1. **plan** (``python -m snippets.build shards``): the stale jobs, grouped so that a job and
   the stale jobs it needs stay together (:func:`groups`: a shard never waits for another),
   and the groups spread over the shards (:func:`assign`). A job that needs the results of
   several groups, such as a notebook that redraws figures of several experiments, would join
   them into one big group: it waits for the merge instead (:func:`joins`), unless the
   estimate says the build ends sooner with the group joined;
2. **shards** (``python -m snippets.build run --shard I/N``): each runs its share into its own
   cache; every entry it writes records the shard and the SHA-256 of its files
   (:meth:`Cache.commit`);
3. **merge** (``python -m snippets.build merge DIR...``): the shards' entries are checked
   (:func:`verify`: the key is recomputed from the inputs in the manifest, every file is
   hashed) and copied into the cache; then ``python -m snippets.build run`` runs the jobs that
   waited for the merge, and a strict build runs no job.

Balance: groups whose jobs have a known duration (the longest recorded run of each job, under
any key in the cache: :func:`snippets.build.runner.known_seconds`) are placed longest first on the
least loaded shard. Groups of jobs that never ran are placed by a hash of their name, so
adding a job (it has never run) moves no other. Which known jobs are stale does move groups
(the longest-first order changes); that is harmless because every runner reads the one plan the
plan step wrote. A shard runs its share in the usual lanes, so the
longest chain of needed jobs (:func:`critical_path`) bounds the build for any N.
:func:`estimate` is the split's time by those durations (the slowest shard, then what waits
for the merge).

Written here rather than with a task scheduler: GitHub's matrix already starts the machines,
and the cache's keys already say what is done.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .cache import MANIFEST, Cache, compute_key
from .deps import sha256_file
from .jobs import JobSpec

COUNT = 4  # shards of a sharded build: the CI and Pages workflows read it (`shards --github-output`)
AFTER_MERGE = 0  # the "shard" of a job left for after the merge (see joins)
AFTER_MERGE_LABEL = "after-merge"  # what `run --after-merge` records as the shard of what it runs


def parse(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``; shards are numbered from 1."""
    index, sep, count = text.partition("/")
    if not (sep and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise ValueError(f"a shard is I/N with 1 <= I <= N (such as 2/4), got {text!r}")
    return int(index), int(count)


def groups(jobs: dict[str, JobSpec], job_ids) -> list[list[str]]:
    """``job_ids`` split into groups closed under "needs" within them: a job and the jobs it
    needs that are also in ``job_ids`` share a group (the others are cached). Each group sorted,
    the groups sorted by their first job."""
    parent = {j: j for j in job_ids}

    def root(j: str) -> str:
        while parent[j] != j:
            parent[j] = parent[parent[j]]
            j = parent[j]
        return j

    for job_id in parent:
        for need in jobs[job_id].needs:
            if need in parent:
                a, b = sorted((root(job_id), root(need)))
                parent[b] = a
    found: dict[str, list[str]] = {}
    for job_id in sorted(parent):
        found.setdefault(root(job_id), []).append(job_id)
    return sorted(found.values())


def _hashed(name: str, count: int) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % count + 1


def joins(jobs: dict[str, JobSpec], job_ids) -> list[str]:
    """The jobs of ``job_ids`` that join groups: no job there needs them, and the jobs they need
    there lie in two or more groups of the others. Left for after the merge (when every result
    they need is cached), they keep those groups apart; a notebook that redraws figures of
    several experiments is one."""
    ids = set(job_ids)
    needed = {n for j in ids for n in jobs[j].needs if n in ids}
    sinks = sorted(ids - needed)
    where = {j: i for i, g in enumerate(groups(jobs, ids - set(sinks))) for j in g}
    return [j for j in sinks if len({where[n] for n in jobs[j].needs if n in where}) >= 2]


def _place(jobs: dict[str, JobSpec], job_ids, seconds: dict[str, float], count: int) -> dict[str, int]:
    """Groups with a known duration longest first onto the least loaded shard (the lowest number
    on a tie); the others onto the shard a hash of their first job names."""
    load = [0.0] * count
    shard: dict[str, int] = {}
    known = [(sum(seconds.get(j, 0.0) for j in g), g) for g in groups(jobs, job_ids)]
    for total, group in sorted((k for k in known if k[0] > 0), key=lambda k: (-k[0], k[1][0])):
        index = min(range(count), key=lambda i: (load[i], i))
        load[index] += total
        shard.update(dict.fromkeys(group, index + 1))
    for total, group in known:
        if total <= 0:
            shard.update(dict.fromkeys(group, _hashed(group[0], count)))
    return shard


def estimate(jobs: dict[str, JobSpec], shard: dict[str, int], seconds: dict[str, float], lanes: int) -> float:
    """The seconds a split should take by ``seconds``: its slowest shard, then the jobs after the
    merge. A shard takes its jobs' total over its lanes, or its longest chain of needed jobs
    when that is longer."""
    by: dict[int, set[str]] = {}
    for job_id, index in shard.items():
        by.setdefault(index, set()).add(job_id)

    def span(ids: set[str]) -> float:
        return max(sum(seconds.get(j, 0.0) for j in ids) / lanes, critical_path(jobs, ids, seconds)[1])

    slowest = max((span(ids) for index, ids in by.items() if index != AFTER_MERGE), default=0.0)
    return slowest + span(by.get(AFTER_MERGE, set()))


def assign(jobs: dict[str, JobSpec], job_ids, seconds: dict[str, float], count: int, lanes: int = 2) -> dict[str, int]:
    """Job -> shard (1..count), or :data:`AFTER_MERGE`, for ``job_ids``. ``seconds``: each job's
    last known duration (0 or absent: unknown); ``lanes``: the jobs a shard runs at once.

    A job and the jobs it needs share a shard: no shard waits for another. The :func:`joins` wait
    for the merge instead, unless running one inside its groups' shard is estimated to finish
    sooner (:func:`estimate`; tried longest first). Then the groups are placed by :func:`_place`.
    With one shard nothing waits."""
    if count < 1:
        raise ValueError(f"the number of shards must be at least 1, got {count}")
    ids = sorted(job_ids)
    later = set(joins(jobs, ids)) if count > 1 else set()

    def split(later: set[str]) -> dict[str, int]:
        shard = _place(jobs, [j for j in ids if j not in later], seconds, count)
        return {**shard, **dict.fromkeys(later, AFTER_MERGE)}

    best = split(later)
    best_time = estimate(jobs, best, seconds, lanes)
    for job_id in sorted(later, key=lambda j: (-seconds.get(j, 0.0), j)):
        trial = split(later - {job_id})
        time = estimate(jobs, trial, seconds, lanes)
        if time < best_time:
            later, best, best_time = later - {job_id}, trial, time
    return best


def critical_path(jobs: dict[str, JobSpec], job_ids, seconds: dict[str, float]) -> tuple[list[str], float]:
    """The longest chain of needed jobs among ``job_ids`` by ``seconds``, and its length: no
    number of shards builds faster than that."""
    best: dict[str, tuple[float, list[str]]] = {}

    def longest(job_id: str) -> tuple[float, list[str]]:
        if job_id not in best:
            before = max((longest(n) for n in jobs[job_id].needs if n in job_ids), default=(0.0, []))
            best[job_id] = (before[0] + seconds.get(job_id, 0.0), [*before[1], job_id])
        return best[job_id]

    total, chain = max((longest(j) for j in sorted(job_ids)), default=(0.0, []))
    return chain, total


@dataclass
class ShardPlan:
    """Which shard runs each stale job, for the keys the jobs have now."""

    count: int
    shard: dict[str, int]  # job -> shard
    keys: dict[str, str]  # job -> key it was planned under
    seconds: dict[str, float]  # job -> last known duration (0: unknown)

    def jobs(self, index: int) -> list[str]:
        """The jobs of shard ``index``; of :data:`AFTER_MERGE`, those left for after the merge."""
        return sorted(j for j, s in self.shard.items() if s == index)

    def busy(self) -> list[int]:
        """The shards that have jobs."""
        return sorted(set(self.shard.values()) - {AFTER_MERGE})

    def load(self, index: int) -> float:
        return sum(self.seconds[j] for j in self.jobs(index))

    def to_json(self) -> str:
        return json.dumps({"count": self.count, "jobs": {j: {"shard": self.shard[j], "key": self.keys[j],
                                                             "seconds": self.seconds[j]} for j in sorted(self.shard)}},
                          indent=2, sort_keys=True)

    @classmethod
    def read(cls, path: Path) -> ShardPlan:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            jobs = data["jobs"]
            return cls(int(data["count"]), {j: int(v["shard"]) for j, v in jobs.items()},
                       {j: v["key"] for j, v in jobs.items()}, {j: float(v["seconds"]) for j, v in jobs.items()})
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no shard plan at {path} (write one with `python -m snippets.build shards --out`)") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path} is not a shard plan written by `python -m snippets.build shards`: {exc}") from exc


def plan_shards(plan, stale, seconds: dict[str, float], count: int, lanes: int = 2) -> ShardPlan:
    """A :class:`ShardPlan` of ``stale`` jobs of ``plan`` (a :class:`snippets.build.runner.Plan`)."""
    stale = sorted(stale)
    return ShardPlan(count, assign(plan.jobs, stale, seconds, count, lanes), {j: plan.keys[j] for j in stale},
                     {j: float(seconds.get(j, 0.0)) for j in stale})


def share(shard_plan: ShardPlan, plan, index: int) -> list[str]:
    """The jobs shard ``index`` runs; refuses a plan made for other sources (another key)."""
    if not 1 <= index <= shard_plan.count:
        raise ValueError(f"shard {index} does not exist: the plan has {shard_plan.count} shards")
    changed = sorted(j for j, key in shard_plan.keys.items() if plan.keys.get(j) != key)
    if changed:
        raise ValueError(f"the shard plan was made for other sources or libraries: the key of {', '.join(changed[:5])}"
                         f"{' …' if len(changed) > 5 else ''} is not the one it has here (make the plan again)")
    return shard_plan.jobs(index)


class Refused(Exception):
    """A cache entry that does not verify; the message says why."""


def verify(folder: Path, job_id: str, key: str) -> dict:
    """The manifest of the entry ``folder`` (``<cache>/jobs/<job_id>/<key>``) once it is shown
    whole and unchanged: its inputs give ``key`` back, and every file has the SHA-256 the
    manifest recorded when the entry was written, with no file missing or added."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Refused(f"it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise Refused(f"its {MANIFEST} cannot be read ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("inputs"), dict):
        raise Refused(f"its {MANIFEST} has no inputs")
    job = manifest["inputs"].get("job")
    named = job.get("id") if isinstance(job, dict) else None
    if named != job_id:
        raise Refused(f"its {MANIFEST} is for job {named!r}")
    if compute_key(manifest["inputs"]) != key:
        raise Refused(f"its inputs hash to {compute_key(manifest['inputs'])[:12]}, not to the key {key[:12]}")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise Refused(f"its {MANIFEST} records no file hashes (written before they were recorded)")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
    if present != set(files):
        missing, extra = sorted(set(files) - present), sorted(present - set(files))
        raise Refused("its files are not those it was written with"
                      + (f"; missing: {', '.join(missing)}" if missing else "")
                      + (f"; not recorded: {', '.join(extra)}" if extra else ""))
    for name, digest in sorted(files.items()):
        try:
            same = sha256_file(folder / name) == digest
        except OSError as exc:
            raise Refused(f"{name} cannot be read ({exc})") from exc
        if not same:
            raise Refused(f"{name} has changed since it was written (SHA-256 differs)")
    return manifest


@dataclass
class Merged:
    added: list[str]  # "job/key12" of entries copied in
    present: list[str]  # already in the cache
    refused: list[str]  # "path: why"

    def summary(self) -> str:
        return (f"merged {len(self.added)} cache entr{'y' if len(self.added) == 1 else 'ies'}, "
                f"{len(self.present)} already present, {len(self.refused)} refused")


def merge(sources, cache: Cache) -> Merged:
    """Copy the entries of the cache folders ``sources`` (``<dir>/jobs/<job>/<key>/``) into
    ``cache``. An entry that does not :func:`verify` is refused, whatever its source claims; one
    the cache already has is left as it is. Each entry goes in whole or not at all. A folder
    without ``jobs/`` (a shard that made nothing) adds nothing."""
    result = Merged([], [], [])
    for source in map(Path, sources):
        if not source.is_dir():
            raise FileNotFoundError(f"no cache folder {source} to merge")
        root = source / "jobs"  # absent when the shard made no entry
        for folder in sorted(p for p in root.glob("*/*") if p.is_dir() and not p.name.startswith(".")):
            job_id, key = folder.parent.name, folder.name
            name = f"{job_id}/{key[:12]}"
            try:
                verify(folder, job_id, key)
            except Refused as exc:
                result.refused.append(f"{folder}: {exc}")
                continue
            if cache.entry(job_id, key).is_dir():
                result.present.append(name)
                continue
            tmp = cache.staging(job_id, key)
            shutil.copytree(folder, tmp, dirs_exist_ok=True)
            os.replace(tmp, cache.entry(job_id, key))
            result.added.append(name)
    return result


def export(results, dest: Path) -> list[Path]:
    """Copy the cache entries of the jobs that ran (``results``: job -> JobResult) into the cache
    folder ``dest``, the one thing a shard uploads. Returns the entries written."""
    written = []
    for job_id, r in sorted(results.items()):
        if r.status == "run" and r.folder is not None:
            target = Path(dest) / "jobs" / job_id / r.key
            shutil.copytree(r.folder, target, dirs_exist_ok=True)
            written.append(target)
    return written
