"""Command line for the build jobs, without MkDocs.

    python -m snippets.build list                 # every job: kind, article, state, key, module:line
    python -m snippets.build run                  # warm the cache: run every stale job
    python -m snippets.build run gelu-curves      # one job (and what it needs)
    python -m snippets.build run --force gelu-curves
    python -m snippets.build prune                # delete cache entries no job uses any more
    python -m snippets.build shards [--count N]   # how the stale jobs would split among N machines
    python -m snippets.build run --shard 2/4      # run one shard's share of the stale jobs
    python -m snippets.build merge DIR...         # check and copy the shards' entries into the cache
    python -m snippets.build run --after-merge    # then: the jobs that waited for the merge
    python -m snippets.build notebooks [SITE]     # run each downloadable notebook alone (make notebooks)

The cache is ``.cache/`` at the repository root, or ``$DOCS_CACHE_DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import shards
from .cache import SHARD_ENV, Cache
from .runner import ensure, failure_message, known_seconds, lane_count, make_plan


def cmd_list(args) -> int:
    cache = Cache()
    plan = make_plan()
    head = ("job", "kind", "article", "state", "key", "where")
    rows = []
    for job_id in sorted(plan.jobs, key=lambda j: (plan.jobs[j].page, j)):
        spec = plan.jobs[job_id]
        state = "cached" if cache.lookup(spec, plan.keys[job_id]) else "stale"
        where = f"{Path(os.path.relpath(spec.path)).as_posix()}:{spec.line}"
        rows.append((job_id, spec.kind, spec.page, state, plan.keys[job_id][:12], where))
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for row in [head] + rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip())
    return 0


def cmd_run(args) -> int:
    if args.shard:
        return run_shard(args)
    if args.plan or args.export:
        raise ValueError("--plan and --export go with --shard I/N")
    if args.after_merge:
        os.environ[SHARD_ENV] = shards.AFTER_MERGE_LABEL  # the build report says where these ran
    force = args.jobs if args.force else ()
    if args.force and not args.jobs:
        force = tuple(make_plan().jobs)
    build = ensure(only=args.jobs or None, force=force, log=lambda m: print(m, file=sys.stderr))
    print(build.summary())
    if build.failures:
        print(failure_message(build), file=sys.stderr)
        return 1
    return 0


def shard_plan(cache: Cache, count: int) -> tuple[shards.ShardPlan, object]:
    """The shard plan of this cache's stale jobs, balanced by the durations its manifests know."""
    plan = make_plan()
    stale = [j for j, spec in plan.jobs.items() if cache.lookup(spec, plan.keys[j]) is None]
    seconds = {j: known_seconds(cache, j) for j in stale}
    return shards.plan_shards(plan, stale, seconds, count, lane_count()), plan


def run_shard(args) -> int:
    """One shard of a sharded build (snippets/build/shards.py): its share of the plan, into the cache;
    ``--export DIR``: then a copy of the entries it made, for the merge."""
    if args.jobs or args.force or args.after_merge:
        raise ValueError("--shard runs its share of the stale jobs: name no job and give no --force or --after-merge")
    index, count = shards.parse(args.shard)
    cache = Cache()
    if args.plan:
        split, plan = shards.ShardPlan.read(args.plan), make_plan()
        if split.count != count:
            raise ValueError(f"{args.plan} splits the jobs into {split.count} shards, not {count}")
    else:
        split, plan = shard_plan(cache, count)
    mine = shards.share(split, plan, index)
    print(f"shard {index}/{count}: {len(mine)} job(s){': ' + ', '.join(mine) if mine else ''}", file=sys.stderr)
    os.environ[SHARD_ENV] = f"{index}/{count}"  # the workers record it in the manifests they write
    build = ensure(only=mine, log=lambda m: print(m, file=sys.stderr))
    print(build.summary())
    if args.export:
        written = shards.export(build.results, Path(args.export))
        print(f"exported {len(written)} cache entr{'y' if len(written) == 1 else 'ies'} to {args.export}")
    if build.failures:
        print(failure_message(build), file=sys.stderr)
        return 1
    return 0


def cmd_shards(args) -> int:
    cache = Cache()
    sp, plan = shard_plan(cache, args.count)
    stale = sorted(sp.shard)
    chain, longest = shards.critical_path(plan.jobs, stale, sp.seconds)
    parts = shards.groups(plan.jobs, stale)
    print(f"{len(stale)} stale job(s) in {len(parts)} group(s), over {args.count} shard(s); "
          "seconds: each job's longest recorded run (0: never ran)")
    for index in [*range(1, args.count + 1), shards.AFTER_MERGE]:
        jobs = sp.jobs(index)
        name = f"shard {index}/{args.count}" if index else "after the merge"
        if index or jobs:
            print(f"{name}: {len(jobs):3d} job(s), {sp.load(index):7.1f} s"
                  + (f"  ({', '.join(jobs[:4])}{', …' if len(jobs) > 4 else ''})" if jobs else ""))
    if chain:
        print(f"critical path: {longest:.1f} s: {' -> '.join(chain)}")
        estimate = shards.estimate(plan.jobs, sp.shard, sp.seconds, lane_count())
        print(f"estimated: {estimate:.1f} s with {lane_count()} lane(s) per shard "
              f"(one machine: {shards.estimate(plan.jobs, dict.fromkeys(stale, 1), sp.seconds, lane_count()):.1f} s)")
    if args.out:
        Path(args.out).write_text(sp.to_json() + "\n", encoding="utf-8")
    if args.github_output:
        with open(args.github_output, "a", encoding="utf-8") as out:
            out.write(f"count={args.count}\nstale={len(stale)}\nshards={json.dumps(sp.busy())}\n")
    return 0


def cmd_merge(args) -> int:
    cache = Cache(Path(args.into)) if args.into else Cache()
    merged = shards.merge(args.dirs, cache)
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"  # a warning on the workflow run's page too
    for line in merged.refused:
        print(f"{'::warning title=Refused cache entry::' if annotate else ''}refused {line}", file=sys.stderr)
    print(merged.summary())
    if merged.refused:
        print("a refused entry is not used: `run` or the next build runs its job again", file=sys.stderr)
    return 0


def cmd_prune(args) -> int:
    cache = Cache()
    removed = cache.prune(make_plan().keys)
    print(f"removed {len(removed)} stale cache entr{'y' if len(removed) == 1 else 'ies'}")
    return 0


def cmd_notebooks(args) -> int:
    """Every English download of a built site (the Korean ones hold the same code), run alone in an
    empty folder on one torch thread, with its time."""
    from .notebooks import NotebookError, run_downloaded

    site = Path(args.site)
    found = sorted(site.glob("en/**/notebook/*.ipynb")) or sorted(site.glob("**/notebook/*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no notebooks under {site}/ (run `make build` first)")
    failed = 0
    for path in found:
        try:
            print(f"{run_downloaded(path):7.1f} s  {path.relative_to(site)}", flush=True)
        except NotebookError as exc:
            failed += 1
            print(f"FAILED     {path.relative_to(site)}\n{exc}", flush=True)
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snippets.build", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list every job with its state").set_defaults(fn=cmd_list)
    run = sub.add_parser("run", help="run stale jobs (all, or those named)")
    run.add_argument("jobs", nargs="*", help="job ids (default: all)")
    run.add_argument("--force", action="store_true", help="run even when cached")
    run.add_argument("--shard", metavar="I/N", help="run shard I of N: its share of the stale jobs")
    run.add_argument("--plan", metavar="FILE", help="with --shard: the share written by `shards --out`")
    run.add_argument("--export", metavar="DIR", help="with --shard: copy the entries it made into DIR")
    run.add_argument("--after-merge", action="store_true",
                     help="after `merge`: record in the entries that they were made after the merge")
    run.set_defaults(fn=cmd_run)
    plan = sub.add_parser("shards", help="split the stale jobs among N shards (and say how)")
    plan.add_argument("--count", type=int, default=shards.COUNT, help=f"shards (default: {shards.COUNT})")
    plan.add_argument("--out", metavar="FILE", help="write the plan for `run --shard I/N --plan FILE`")
    plan.add_argument("--github-output", metavar="FILE",
                      help="append count=, stale= and shards= to FILE (a workflow step's outputs)")
    plan.set_defaults(fn=cmd_shards)
    merge = sub.add_parser("merge", help="check the cache entries of shard folders and copy them into the cache")
    merge.add_argument("dirs", nargs="+", metavar="DIR", help="cache folders written by shards")
    merge.add_argument("--into", metavar="CACHE", help="the cache folder to merge into (default: the cache)")
    merge.set_defaults(fn=cmd_merge)
    sub.add_parser("prune", help="delete cache entries that no current job uses").set_defaults(fn=cmd_prune)
    notebooks = sub.add_parser("notebooks", help="run every downloadable notebook of a built site, alone")
    notebooks.add_argument("site", nargs="?", default="site", help="the built site (default: site)")
    notebooks.set_defaults(fn=cmd_notebooks)
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
