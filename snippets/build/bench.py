"""``make bench``: what a build costs on this machine.

Four strict builds of a scratch copy of the site (``mkdocs.yml``, ``docs/``, ``snippets/``,
``overrides/``) with its own cache folder, so the repository and its ``.cache/`` are untouched:

1. cold: an empty cache;
2. warm: nothing changed (then once more with ``-X importtime``, untimed, to see whether
   torch was imported);
3. prose: a sentence added to an article (the first page in the navigation order of
   ``docs/`` that has build jobs, in the default language);
4. module: one article module edited (a comment added to the one whose jobs took least time
   in the cold build, so the bench stays short); the jobs whose inputs changed, from the plan
   before and after the edit, are the ones that should run.

Nothing here names an article: ``--project`` benchmarks any site laid out like this one.

For each: wall seconds, the ratio to the cold build, the peak memory of the build's process
tree (the sum of the RSS of MkDocs and its children, sampled every 20 ms) and the jobs run,
cached and failed. ``--quick`` seeds the cache from ``--cache-from`` (a warm cache), so the
first build is not cold: the test suite uses it to check the output without paying for one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .cache import REPO_ROOT
from .languages import page_file
from .runner import SUMMARY, make_plan

PROSE_EDIT = "\n\nA sentence added by the benchmark.\n"
MODULE_EDIT = "\n# edited by the benchmark\n"


@dataclass
class Measure:
    name: str
    seconds: float
    peak_mb: float
    run: int
    cached: int
    failed: int
    output: str


def _tree_rss(proc) -> int:
    import psutil

    total = 0
    try:
        for p in [proc, *proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
    except psutil.NoSuchProcess:
        pass
    return total


def build(project: Path, cache: Path, name: str, *python_flags: str) -> Measure:
    import psutil

    env = dict(os.environ, DOCS_CACHE_DIR=str(cache), NO_MKDOCS_2_WARNING="1")
    env.pop("PYTHONPATH", None)
    cmd = [sys.executable, *python_flags, "-m", "mkdocs", "build", "--strict", "-d", str(project / "site")]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(ps))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{name} build failed (exit {proc.returncode}):\n{output}")
    m = SUMMARY.search(output)
    if not m:
        raise RuntimeError(f"{name} build printed no summary line:\n{output}")
    run, cached, failed = map(int, m.groups()[:3])
    return Measure(name, seconds, peak / 2**20, run, cached, failed, output)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def copy_project(source: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in ("mkdocs.yml", "docs", "snippets", "overrides"):
        src = source / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.is_file():
            shutil.copy2(src, dest / name)
    return dest


def page_to_edit(plan, docs: Path) -> Path:
    """The default-language file of the first article (in sorted order) that has jobs."""
    return docs / page_file(min(spec.page for spec in plan.jobs.values()), plan.langs[0])


def module_to_edit(plan, cache: Path) -> Path:
    """The job module whose jobs took least time in total, by the cache's manifests."""
    cost: dict[Path, float] = {}
    for spec in plan.jobs.values():
        if spec.kind != "notebook":
            seconds = sum(float(json.loads(m.read_text())["seconds"]) for m in
                          (cache / "jobs" / spec.id).glob("*/manifest.json"))
            cost[spec.path] = cost.get(spec.path, 0.0) + seconds
    return min(cost, key=lambda path: (cost[path], str(path)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snippets.build.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="seed the cache from --cache-from (first build is warm)")
    parser.add_argument("--cache-from", type=Path, help="a warm cache folder to copy (with --quick)")
    parser.add_argument("--project", type=Path, default=REPO_ROOT, help="the site to benchmark (default: this one)")
    args = parser.parse_args(argv)
    if args.quick and not (args.cache_from and args.cache_from.is_dir()):
        parser.error("--quick needs --cache-from DIR, a warm cache folder")

    with tempfile.TemporaryDirectory(prefix="model-notes-bench-") as tmp:
        tmp = Path(tmp)
        project = copy_project(args.project.resolve(), tmp / "project")
        cache = tmp / "cache"
        if args.quick:
            shutil.copytree(args.cache_from, cache)
        first = build(project, cache, "warm (quick: seeded cache)" if args.quick else "cold")
        warm = build(project, cache, "warm")
        # a second warm build, not timed (-X importtime slows Python down), lists every import
        imports = build(project, cache, "warm, -X importtime", "-X", "importtime").output
        torch_imported = bool(re.search(r"\|\s+torch$", imports, flags=re.M))
        package = project / "snippets"
        plan = make_plan(package)
        page = page_to_edit(plan, project / "docs")
        append(page, PROSE_EDIT)
        prose = build(project, cache, "prose edit")

        module = module_to_edit(plan, cache)
        before = plan.keys
        append(module, MODULE_EDIT)
        after = make_plan(package).keys
        changed = sorted(j for j in after if before.get(j) != after[j])
        edited = build(project, cache, "module edit")
        ran = sorted(re.findall(r"job (\S+) \(\S+\) done", edited.output))
        page, module = page.relative_to(project).as_posix(), module.relative_to(project).as_posix()

    rows = [first, warm, prose, edited]
    base = first.seconds
    print(f"{'build':<28}{'seconds':>9}{'ratio':>8}{'peak MB':>10}   jobs run/cached/failed")
    for r in rows:
        print(f"{r.name:<28}{r.seconds:>9.2f}{r.seconds / base:>8.3f}{r.peak_mb:>10.0f}   "
              f"{r.run}/{r.cached}/{r.failed}")
    print(f"torch imported in the warm build: {'yes' if torch_imported else 'no'}")
    print(f"prose edit ({page}) re-ran: {prose.run} job(s)")
    print(f"module edit ({module}) re-ran: {', '.join(ran) or 'nothing'}")
    print(f"jobs whose inputs the module edit changed: {', '.join(changed) or 'none'}")
    exact = ran == changed
    print(f"module edit re-ran exactly those jobs: {'yes' if exact else 'no'}")
    ok = not torch_imported and prose.run == 0 and exact and all(r.failed == 0 for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
