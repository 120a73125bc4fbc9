"""Sharded builds (snippets/build/shards.py): the split, the merge's checks, and processes standing in
for runners: N shards on empty caches, a merge, then a strict build that runs nothing."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from snippets.build import runner, shards
from snippets.build.cache import MANIFEST, SHARD_ENV, Cache
from snippets.build.jobs import JobSpec
from tests.build.test_cache import FILES
from tests.conftest import mkdocs_build, mkdocs_env
from tests.sample_site import write_site


def spec(job_id: str, *needs: str) -> JobSpec:
    return JobSpec(id=job_id, kind="values", module="m", function="f", path=Path("m.py"), line=1, page="s/p",
                   needs=needs)


def chain_jobs() -> dict[str, JobSpec]:
    """a <- b <- c (c needs b needs a), d alone, e <- f, g alone, h alone."""
    specs = [spec("a"), spec("b", "a"), spec("c", "b"), spec("d"), spec("e"), spec("f", "e"), spec("g"), spec("h")]
    return {s.id: s for s in specs}


SECONDS = {"a": 10, "b": 20, "c": 5, "d": 30, "e": 12, "f": 12, "g": 8, "h": 1}


def test_parse_names_the_shard_and_refuses_what_is_not_one():
    assert shards.parse("2/4") == (2, 4) and shards.parse("1/1") == (1, 1)
    for bad in ("0/4", "5/4", "2", "a/b", "2/-4", ""):
        with pytest.raises(ValueError, match=f"a shard is I/N with 1 <= I <= N .*got {bad!r}"):
            shards.parse(bad)


def test_a_job_and_the_stale_jobs_it_needs_share_a_group():
    jobs = chain_jobs()
    assert shards.groups(jobs, jobs) == [["a", "b", "c"], ["d"], ["e", "f"], ["g"], ["h"]]
    # a cached need is not in the set: its result is in every shard's cache already
    assert shards.groups(jobs, ["b", "c", "f"]) == [["b", "c"], ["f"]]


def test_groups_go_longest_first_to_the_least_loaded_shard():
    jobs = chain_jobs()
    shard = shards.assign(jobs, jobs, SECONDS, 2)
    # groups: abc 35, d 30, ef 24, g 8, h 1 -> 1: abc; 2: d; 2: ef (30 < 35); 1: g (35 < 54); 1: h (43 < 54)
    assert shard == {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2, "f": 2, "g": 1, "h": 1}
    for count in (1, 2, 3, 5, 8):
        shard = shards.assign(jobs, jobs, SECONDS, count)
        assert set(shard) == set(jobs) and set(shard.values()) <= set(range(1, count + 1))
        for job_id, s in jobs.items():
            assert all(shard[n] == shard[job_id] for n in s.needs)  # no shard waits for another
    with pytest.raises(ValueError, match="at least 1, got 0"):
        shards.assign(jobs, jobs, SECONDS, 0)


def join_jobs(z: float, w: float = 0.0) -> tuple[dict[str, JobSpec], dict[str, float]]:
    """x and y apart; z needs both (it joins them); w alone."""
    specs = [spec("x"), spec("y"), spec("z", "x", "y"), spec("w")]
    return {s.id: s for s in specs}, {"x": 100.0, "y": 100.0, "z": z, "w": w}


def test_a_job_that_joins_groups_waits_for_the_merge_unless_joining_them_ends_sooner():
    jobs, seconds = join_jobs(z=10)
    assert shards.joins(jobs, jobs) == ["z"]
    assert shards.joins(jobs, ["y", "z", "w"]) == []  # x is cached: z needs one group only
    # x and y on two shards at once, then z: 100 + 10 s; joined, one shard would take 210 s
    assert shards.assign(jobs, jobs, seconds, 2, lanes=1) == {"x": 1, "y": 2, "w": 1, "z": shards.AFTER_MERGE}
    assert shards.estimate(jobs, {"x": 1, "y": 2, "w": 1, "z": 0}, seconds, 1) == 110
    # with a long job w beside them, x, y and z together fit in w's time: joining ends sooner (700 < 1100)
    jobs, seconds = join_jobs(z=500, w=600)
    assert shards.assign(jobs, jobs, seconds, 2, lanes=1) == {"x": 1, "y": 1, "z": 1, "w": 2}
    assert shards.estimate(jobs, {"x": 1, "y": 1, "z": 1, "w": 2}, seconds, 1) == 700
    # one shard: nothing waits
    assert shards.assign(jobs, jobs, seconds, 1) == dict.fromkeys(jobs, 1)
    # unknown durations: the join waits (joining cannot be shown to end sooner)
    assert shards.assign(jobs, jobs, {}, 2)["z"] == shards.AFTER_MERGE


def test_every_job_of_the_real_site_runs_once_and_never_waits_for_another_shard():
    plan = runner.make_plan()
    known = {j: 1.0 + (sum(map(ord, j)) % 97) for j in plan.jobs}
    for seconds in (known, {}):
        for count in (2, 4):
            shard = shards.assign(plan.jobs, plan.jobs, seconds, count)
            assert set(shard) == set(plan.jobs)
            for job_id, index in shard.items():
                if index == shards.AFTER_MERGE:  # needed by no job, needing results of several groups
                    assert not any(job_id in s.needs for s in plan.jobs.values())
                else:
                    assert all(shard[n] == index for n in plan.jobs[job_id].needs)


def test_assignment_is_stable_when_an_unrelated_job_is_added():
    """The real site's jobs: with the durations a cache knows, and on a cold cache (none known)."""
    plan = runner.make_plan()
    known = {j: 1.0 + (sum(map(ord, j)) % 97) for j in plan.jobs}  # any fixed durations will do
    added = {**plan.jobs, "unrelated-new-job": spec("unrelated-new-job")}
    for seconds in (known, {}):
        for count in (2, 4, 7):
            before = shards.assign(plan.jobs, plan.jobs, seconds, count)
            after = shards.assign(added, added, seconds, count)
            assert {j: after[j] for j in before} == before
            if seconds:  # and, balanced by known durations, every shard gets work
                assert set(before.values()) - {shards.AFTER_MERGE} == set(range(1, count + 1))


def test_assignment_balances_the_real_site_by_known_durations():
    plan = runner.make_plan()
    seconds = {j: 1.0 + (sum(map(ord, j)) % 97) for j in plan.jobs}
    sp = shards.plan_shards(plan, plan.jobs, seconds, 4)
    loads = [sp.load(i) for i in range(1, 5)]
    biggest = max(sum(seconds[j] for j in g) for g in shards.groups(plan.jobs, plan.jobs))
    # LPT: no shard exceeds the mean by more than the biggest group
    assert max(loads) <= sum(loads) / 4 + biggest


def test_the_critical_path_is_the_longest_chain_of_needed_jobs():
    jobs = chain_jobs()
    assert shards.critical_path(jobs, jobs, SECONDS) == (["a", "b", "c"], 35)
    assert shards.critical_path(jobs, ["b", "c", "d"], SECONDS) == (["d"], 30)  # a is cached
    assert shards.critical_path(jobs, [], SECONDS) == ([], 0.0)


def test_a_shard_plan_round_trips_and_is_refused_for_other_sources(tmp_path):
    plan = runner.make_plan()
    stale = sorted(plan.jobs)[:6]
    sp = shards.plan_shards(plan, stale, {j: 2.0 for j in stale}, 3)
    path = tmp_path / "plan.json"
    path.write_text(sp.to_json())
    again = shards.ShardPlan.read(path)
    assert again == sp and sorted(j for i in range(1, 4) for j in shards.share(again, plan, i)) == stale
    with pytest.raises(ValueError, match="shard 4 does not exist: the plan has 3 shards"):
        shards.share(again, plan, 4)
    again.keys[stale[0]] = "0" * 64
    with pytest.raises(ValueError, match=f"made for other sources or libraries: the key of {stale[0]} "):
        shards.share(again, plan, 1)
    path.write_text("{}")
    with pytest.raises(ValueError, match="is not a shard plan"):
        shards.ShardPlan.read(path)
    with pytest.raises(FileNotFoundError, match="no shard plan at"):
        shards.ShardPlan.read(tmp_path / "none.json")


# --- the merge's checks, on entries written by real runs of small jobs ---------------------------------


@pytest.fixture(scope="module")
def made_once(tmp_path_factory):
    """The entries of test_cache's small jobs, written as shard 2/3 (once for this module)."""
    from tests.conftest import write_project

    base = tmp_path_factory.mktemp("made")
    pkg = write_project(base / "project", FILES)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SHARD_ENV, "2/3")
        build = runner.ensure(package_dir=pkg, cache=Cache(base / "made"), log=lambda m: None)
    assert not build.failures
    return base / "made", build


@pytest.fixture
def made(made_once, tmp_path):
    """A copy of those entries, for a test to damage: (cache folder, the build's results)."""
    folder, build = made_once
    shutil.copytree(folder, tmp_path / "made")
    return tmp_path / "made", build


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "jobs").glob("*/*") if p.is_dir())


def test_every_entry_records_its_shard_and_the_hash_of_each_file(made):
    folder, build = made
    for entry in entries(folder):
        manifest = json.loads((entry / MANIFEST).read_text())
        assert manifest["shard"] == "2/3"
        assert set(manifest["files"]) == {p.name for p in entry.iterdir()} - {MANIFEST}
        assert shards.verify(entry, entry.parent.name, entry.name) == manifest


def test_merge_copies_verified_entries_and_leaves_present_ones(made, tmp_path):
    folder, build = made
    target = Cache(tmp_path / "target")
    merged = shards.merge([folder], target)
    assert len(merged.added) == len(entries(folder)) and not merged.refused and not merged.present
    for job_id, r in build.results.items():
        assert target.lookup(r.spec, r.key) is not None
        for name in r.spec.artifacts:
            assert (target.entry(job_id, r.key) / name).read_bytes() == r.artifact(name).read_bytes()
    again = shards.merge([folder], target)
    assert again.summary() == f"merged 0 cache entries, {len(merged.added)} already present, 0 refused"
    empty = tmp_path / "empty-shard"
    empty.mkdir()
    assert shards.merge([empty], target).summary() == "merged 0 cache entries, 0 already present, 0 refused"
    with pytest.raises(FileNotFoundError, match="no cache folder"):
        shards.merge([tmp_path / "absent"], target)


def corrupt(entry: Path, how: str) -> str:
    """Damage ``entry`` one way; returns what the refusal must say."""
    manifest = json.loads((entry / MANIFEST).read_text())
    first = sorted(manifest["files"])[0]
    if how == "truncated":
        data = (entry / first).read_bytes()
        (entry / first).write_bytes(data[: len(data) // 2])
        return f"{first} has changed since it was written"
    if how == "missing":
        (entry / first).unlink()
        return f"its files are not those it was written with; missing: {first}"
    if how == "added":
        (entry / "stray.txt").write_text("x")
        return "not recorded: stray.txt"
    if how == "inputs":
        manifest["inputs"]["params"] = {"changed": True}
        (entry / MANIFEST).write_text(json.dumps(manifest))
        return f"not to the key {entry.name[:12]}"
    if how == "manifest":
        (entry / MANIFEST).write_text((entry / MANIFEST).read_text()[:40])
        return f"its {MANIFEST} cannot be read"
    if how == "no hashes":
        del manifest["files"]
        (entry / MANIFEST).write_text(json.dumps(manifest))
        return "records no file hashes"
    if how == "job not a dict":
        manifest["inputs"]["job"] = "fb"
        (entry / MANIFEST).write_text(json.dumps(manifest))
        return "is for job None"
    if how == "unreadable":
        (entry / first).unlink()
        (entry / first).symlink_to(entry / "nowhere")  # a link to nothing: listed, but not a file
        return "missing"
    if how == "other job":
        os.rename(entry.parent, entry.parent.with_name("renamed"))
        return "is for job"
    raise ValueError(how)


@pytest.mark.parametrize("how", ["truncated", "missing", "added", "inputs", "manifest", "no hashes", "job not a dict",
                                 "unreadable", "other job"])
def test_a_damaged_entry_is_refused_with_the_reason_and_the_others_merge(made, tmp_path, how):
    folder, build = made
    victim = next(e for e in entries(folder) if e.parent.name == "fb")
    why = corrupt(victim, how)
    target = Cache(tmp_path / "target")
    merged = shards.merge([folder], target)
    assert len(merged.refused) == 1 and why in merged.refused[0]
    assert len(merged.added) == len(entries(folder)) - 1
    assert not (target.root / "fb").exists() and not (target.root / "renamed").exists()


# --- processes standing in for runners --------------------------------------------------------------------


def cli(project: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "snippets.build", *args], cwd=project, env=mkdocs_env(cache),
                          capture_output=True, text=True, timeout=600)


def entry_files(cache: Path) -> dict[str, bytes]:
    return {p.relative_to(cache).as_posix(): p.read_bytes()
            for p in (cache / "jobs").glob("*/*/*") if p.is_file() and p.name != MANIFEST}


def site_files(site: Path) -> dict[str, bytes]:
    """What the jobs made, as the reader gets it: figures, notebooks, and the article pages (which
    hold the outputs and values); not the build report, which says when and how long."""
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and "build-report" not in p.parts and p.suffix in (".svg", ".png", ".ipynb", ".html")
            and ("demo" in p.parts or p.suffix != ".html")}


JOIN_JOBS = '''

@values("sample-more", page="demo/sample")
def more() -> dict:
    return {"count": 4}


@figure("sample-both", page="demo/sample", needs=("sample-numbers", "sample-more"))
def both(theme, sample_numbers, sample_more) -> Figure:
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.bar([0, 1], [sample_numbers["total"], sample_more["count"]])
    ax.set(ylabel=theme.text(ko="값", en="value"))
    return fig
'''
JOIN_FIGURE = {"ko": "\n\n![두 값을 나란히 보여 주는 막대그래프입니다.](figure:sample-both)\n",
               "en": "\n\n![Two bars side by side.](figure:sample-both)\n"}


def joined_site(root: Path) -> Path:
    """The sample site with a figure that needs two values jobs of different groups: it, and the
    notebook that redraws it, join the groups, so they wait for the merge."""
    from tests.sample_site import MODULE, PAGE_EN, PAGE_KO

    write_site(root)
    (root / MODULE).write_text((root / MODULE).read_text() + JOIN_JOBS)
    for lang, page in (("ko", PAGE_KO), ("en", PAGE_EN)):
        (root / page).write_text((root / page).read_text() + JOIN_FIGURE[lang])
    return root


@pytest.fixture(scope="module")
def joined(tmp_path_factory):
    """That site, built cold on one machine: (project, site, cache)."""
    base = tmp_path_factory.mktemp("joined")
    project = joined_site(base / "project")
    built = mkdocs_build(project, base / "site", base / "cache")
    assert built.returncode == 0, built.stderr
    return project, base / "site", base / "cache"


@pytest.mark.slow
@pytest.mark.parametrize("count", [3])  # `make bench-shards`' test runs 1 and 2
def test_shards_on_empty_caches_and_a_merge_build_what_one_machine_builds(joined, tmp_path, count):
    """N shard processes, each on its own empty cache, a merge, the jobs that waited for it, and
    a strict build: it runs no job, and every file matches the single-machine cold build byte for
    byte; the build report says which shard ran each job."""
    project, reference_site, reference_cache = joined
    plan_file = tmp_path / "plan.json"
    planned = cli(project, tmp_path / "empty", "shards", "--count", str(count), "--out", str(plan_file),
                  "--github-output", str(tmp_path / "outputs"))
    assert planned.returncode == 0, planned.stderr
    outputs = dict(line.split("=", 1) for line in (tmp_path / "outputs").read_text().splitlines())
    sp = shards.ShardPlan.read(plan_file)
    assert outputs == {"count": str(count), "stale": str(len(sp.shard)), "shards": json.dumps(sp.busy())}
    later = sp.jobs(shards.AFTER_MERGE)
    assert later == ["notebook-demo-sample", "sample-both"]
    assert "after the merge:   2 job(s)" in planned.stdout
    folders = []
    for index in range(1, count + 1):
        folder = tmp_path / f"shard-{index}"
        ran = cli(project, folder, "run", "--shard", f"{index}/{count}", "--plan", str(plan_file))
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert ran.stdout.startswith(f"jobs: {len(sp.jobs(index))} run, 0 cached, 0 failed")
        folders.append(folder)
    merged = tmp_path / "merged"
    merge = cli(project, merged, "merge", *map(str, folders))
    assert merge.returncode == 0 and f"merged {len(sp.shard) - 2} cache entries" in merge.stdout, merge.stderr
    after = cli(project, merged, "run", "--after-merge")
    assert after.returncode == 0 and after.stdout.startswith(f"jobs: 2 run, {len(sp.shard) - 2} cached")
    site = tmp_path / "site"
    build = mkdocs_build(project, site, merged)
    assert build.returncode == 0, build.stderr
    assert f"jobs: 0 run, {len(sp.shard)} cached, 0 failed" in build.stderr
    assert entry_files(merged) == entry_files(reference_cache)
    assert site_files(site) == site_files(reference_site) and any(k.endswith(".ipynb") for k in site_files(site))
    for prefix, head, later_label in (("", "샤드", "병합 후"), ("en/", "Shard", "after the merge")):
        soup = BeautifulSoup((site / prefix / "build-report/index.html").read_text(), "html.parser")
        column = [th.get_text() for th in soup.select("article table th")].index(head)
        shown = {tr.find_all("td")[0].get_text(): tr.find_all("td")[column].get_text()
                 for tr in soup.select("article table tr")[1:]}
        assert shown == {j: f"{s}/{count}" if s else later_label for j, s in sp.shard.items()}
    unsplit = BeautifulSoup((reference_site / "en/build-report/index.html").read_text(), "html.parser")
    assert "Shard" not in [th.get_text() for th in unsplit.select("article table th")]


@pytest.mark.slow
def test_shards_export_only_what_they_ran_and_a_damaged_export_is_refused(sample, tmp_path):
    """Runners that restored a cache where a module edit made the module's jobs (and the notebook
    that shows its listing) stale each export the entries they made, and nothing of the restored
    cache; an entry truncated in transit is refused, named, and the next build runs
    its job again."""
    project, cache = sample
    module = project / "snippets/articles/demo/sample.py"
    module.write_text(module.read_text().replace('words = ["hello", "sample"]', 'words = ["hello", "shards"]'))
    planned = cli(project, cache, "shards", "--count", "2", "--out", str(tmp_path / "plan.json"))
    sp = shards.ShardPlan.read(tmp_path / "plan.json")
    assert f"{len(sp.shard)} stale job(s)" in planned.stdout and "sample-hello" in sp.shard, planned.stdout
    exports = []
    for index in (1, 2):
        restored = tmp_path / f"runner-{index}"
        shutil.copytree(cache, restored)
        export = tmp_path / f"export-{index}"
        ran = cli(project, restored, "run", "--shard", f"{index}/2", "--plan", str(tmp_path / "plan.json"),
                  "--export", str(export))
        assert ran.returncode == 0, ran.stderr
        mine = sp.jobs(index)
        assert f"exported {len(mine)} cache entr{'y' if len(mine) == 1 else 'ies'}" in ran.stdout
        assert sorted(p.parent.name for p in export.glob("jobs/*/*")) == mine
        exports.append(export)
    (entry,) = [p for export in exports for p in export.glob("jobs/sample-hello/*")]
    assert (entry / "output.txt").read_text() == "hello shards\n"
    (entry / "output.txt").write_text("hel")  # cut short on its way
    merge = cli(project, cache, "merge", *map(str, exports))
    assert merge.returncode == 0, merge.stderr  # the workflow goes on: `run` makes the entry again
    assert f"refused {entry}: output.txt has changed since it was written" in merge.stderr
    others = len(sp.shard) - 1
    assert f"merged {others} cache entr{'y' if others == 1 else 'ies'}, 0 already present, 1 refused" in merge.stdout
    assert "`run` or the next build runs its job again" in merge.stderr
    plain = cli(project, tmp_path / "other", "merge", str(entry.parent.parent.parent))
    assert "not used" in plain.stderr and "::warning" not in plain.stderr
    on_actions = subprocess.run([sys.executable, "-m", "snippets.build", "merge", str(entry.parent.parent.parent)],
                                cwd=project, env={**mkdocs_env(tmp_path / "other2"), "GITHUB_ACTIONS": "true"},
                                capture_output=True, text=True, timeout=120)
    assert f"::warning title=Refused cache entry::refused {entry}: output.txt" in on_actions.stderr
    build = mkdocs_build(project, tmp_path / "site", cache)
    assert build.returncode == 0 and "jobs: 1 run" in build.stderr, build.stderr
    assert "hello shards" in (tmp_path / "site/en/demo/sample/index.html").read_text()


def test_the_cli_refuses_a_shard_with_jobs_or_a_plan_for_other_shards(tmp_path):
    from tests.conftest import REPO

    env = mkdocs_env(tmp_path / "cache")
    run = lambda *a: subprocess.run([sys.executable, "-m", "snippets.build", *a], cwd=REPO, env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    bad = run("run", "--shard", "5/4")
    assert bad.returncode == 2 and "a shard is I/N" in bad.stderr
    named = run("run", "--shard", "1/2", "gelu-table")
    assert named.returncode == 2 and "name no job" in named.stderr
    alone = run("run", "--export", str(tmp_path / "x"))
    assert alone.returncode == 2 and "go with --shard" in alone.stderr
    (tmp_path / "plan.json").write_text(json.dumps({"count": 3, "jobs": {}}))
    other = run("run", "--shard", "1/2", "--plan", str(tmp_path / "plan.json"))
    assert other.returncode == 2 and "splits the jobs into 3 shards, not 2" in other.stderr
    merge = run("merge", str(tmp_path / "absent"))
    assert merge.returncode == 2 and "no cache folder" in merge.stderr
