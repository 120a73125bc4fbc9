"""``make bench-shards``: a sharded cold build of a scratch copy, with processes for machines.

For each N of ``--counts`` (default 1, 2, 4): every job of the site is split into N shards
(:mod:`snippets.build.shards`, balanced by the durations the repository's cache knows, as CI's
restored cache knows them); each shard runs as ``python -m snippets.build run --shard I/N``
on its own empty cache folder, one after the other, so that each has the whole machine as a
runner would; then ``merge`` copies the shards' entries into an empty cache, and a strict build
on that cache must run no job. Printed: the wall time of every shard and of the merge, the
slowest shard (what N runners would take), the critical path (the longest chain of needed
jobs, by the same durations: no N goes below it), and whether every file of every entry is
byte-identical to the first N's, timing jobs (``…-cost``, ``…-timing``: DESIGN.md, contract 4)
and the jobs that need them aside; files that differ only in measured durations (a training
run's ``seconds``, a printed "trained in 4.4 s") are counted apart.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import shards
from .bench import build, copy_project
from .cache import MANIFEST, REPO_ROOT, Cache, cache_root
from .runner import known_seconds, lane_count, make_plan

TIMING = ("-cost", "-timing")  # in the ids of jobs whose files hold a measured duration (DESIGN.md, contract 4)
# A measured duration in a file's text: a value under a key with "seconds" or "minutes" in its
# name (JSON, a printed dict, HTML-escaped or not: "seconds_median", a notebook cell's "minutes"),
# a printed "trained in 4.4 s", or a notebook's "took about 4 min" / "약 4분" (DESIGN.md, contract 4).
_KEY = r"((?:seconds|minutes)\w*(?:&#x27;|&quot;|\W){1,8})"
DURATIONS = (re.compile(_KEY + r"\{[^{}]*\}"),  # a summary: median, min, max
             re.compile(_KEY + r"-?\d+(?:\.\d+)?(?:e-?\d+)?"),
             re.compile(r"()\b\d+(?:\.\d+)? (?:s|min)\b"),
             re.compile(r"(약 )\d+(?=분)"))


def without_durations(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    for pattern in DURATIONS:
        text = pattern.sub(lambda m: m.group(1) + "<duration>", text)
    return text


def _cli(project: Path, cache: Path, *args: str) -> tuple[float, str]:
    env = dict(os.environ, DOCS_CACHE_DIR=str(cache), NO_MKDOCS_2_WARNING="1")
    env.pop("PYTHONPATH", None)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "snippets.build", *args], cwd=project, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(args)}` failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout + done.stderr


def entry_files(cache: Path) -> dict[str, bytes]:
    """``job/file`` -> bytes of every entry's files but the manifest (one key per job here)."""
    found = {}
    for path in sorted((cache / "jobs").glob("*/*/**/*")):
        job, _key, *name = path.relative_to(cache / "jobs").parts
        if path.is_file() and name != [MANIFEST]:
            found["/".join([job, *name])] = path.read_bytes()
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snippets.build.shard_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="1,2,4", help="the numbers of shards to try (default: 1,2,4)")
    parser.add_argument("--project", type=Path, default=REPO_ROOT, help="the site (default: this one)")
    parser.add_argument("--durations-from", type=Path, default=None,
                        help="a cache folder whose manifests give each job's last duration (default: the cache)")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.counts.split(",")]
    known = Cache(args.durations_from or cache_root())

    with tempfile.TemporaryDirectory(prefix="model-notes-shards-") as tmp:
        tmp = Path(tmp)
        project = copy_project(args.project.resolve(), tmp / "project")
        plan = make_plan(project / "snippets")
        seconds = {j: known_seconds(known, j) for j in plan.jobs}
        chain, longest = shards.critical_path(plan.jobs, plan.jobs, seconds)
        unknown = sorted(j for j, s in seconds.items() if not s)
        print(f"{len(plan.jobs)} jobs, {sum(seconds.values()):.0f} s of known job time "
              f"({len(unknown)} with no known duration); critical path {longest:.1f} s: {' -> '.join(chain)}")
        # the timing jobs and every job that needs one, directly or not
        measured = {j for j in plan.jobs if any(t in j for t in TIMING)}
        while grown := {j for j, spec in plan.jobs.items() if j not in measured and measured & set(spec.needs)}:
            measured |= grown
        reference, ok = None, True
        for count in counts:
            shard_plan = shards.plan_shards(plan, plan.jobs, seconds, count, lane_count())
            plan_file = tmp / f"plan-{count}.json"
            plan_file.write_text(shard_plan.to_json(), encoding="utf-8")
            folders, walls = [], []
            for index in range(1, count + 1):
                folder = tmp / f"n{count}" / f"shard-{index}"
                wall, _ = _cli(project, folder, "run", "--shard", f"{index}/{count}", "--plan", str(plan_file))
                folders.append(folder)
                walls.append(wall)
                print(f"N={count} shard {index}/{count}: {len(shard_plan.jobs(index)):3d} jobs, "
                      f"{shard_plan.load(index):6.1f} s planned, {wall:6.1f} s wall", flush=True)
            merged = tmp / f"n{count}" / "merged"
            merge_wall, merge_out = _cli(project, merged, "merge", *map(str, folders))
            later = shard_plan.jobs(shards.AFTER_MERGE)
            after_wall, _ = _cli(project, merged, "run", "--after-merge")  # the jobs that waited for it
            strict = build(project, merged, f"strict build after the merge (N={count})")
            files = entry_files(merged)
            if reference is None:
                reference = files
            differ = sorted(k for k in set(files) | set(reference) if files.get(k) != reference.get(k))
            timing = [k for k in differ if k.split("/")[0] in measured]
            durations = [k for k in differ if k not in timing and k in files and k in reference
                         and without_durations(files[k]) == without_durations(reference[k])]
            other = [k for k in differ if k not in timing and k not in durations]
            ok &= not other and strict.run == 0 and strict.failed == 0
            print(f"N={count}: slowest shard {max(walls):6.1f} s, merge {merge_wall:4.1f} s "
                  f"({merge_out.strip().splitlines()[-1]}), after the merge {after_wall:5.1f} s "
                  f"({len(later)} jobs{': ' + ', '.join(later) if later else ''}); "
                  f"estimated {shards.estimate(plan.jobs, shard_plan.shard, seconds, lane_count()):.0f} s, "
                  f"measured {max(walls) + merge_wall + after_wall:.0f} s; "
                  f"strict build {strict.seconds:4.1f} s running "
                  f"{strict.run} jobs; files differing from N={counts[0]}: {len(other)} "
                  f"(+{len(timing)} in timing jobs, +{len(durations)} only in measured durations)"
                  f"{': ' + ', '.join(other) if other else ''}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
