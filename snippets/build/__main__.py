"""Command line for the build jobs, without MkDocs.

    python -m snippets.build list                 # every job: kind, article, state, key, module:line
    python -m snippets.build run                  # warm the cache: run every stale job
    python -m snippets.build run gelu-curves      # one job (and what it needs)
    python -m snippets.build run --force gelu-curves
    python -m snippets.build prune                # delete cache entries no job uses any more
    python -m snippets.build notebooks [SITE]     # run each downloadable notebook alone (make notebooks)

The cache is ``.cache/`` at the repository root, or ``$DOCS_CACHE_DIR``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .cache import Cache
from .runner import ensure, failure_message, make_plan


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
    force = args.jobs if args.force else ()
    if args.force and not args.jobs:
        force = tuple(make_plan().jobs)
    build = ensure(only=args.jobs or None, force=force, log=lambda m: print(m, file=sys.stderr))
    print(build.summary())
    if build.failures:
        print(failure_message(build), file=sys.stderr)
        return 1
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
    run.set_defaults(fn=cmd_run)
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
