"""The cache: what re-runs after which edit, failures, determinism, the CLI."""

import functools
import json
import os
import subprocess
import sys

import pytest

from snippets.build import runner
from snippets.build.cache import Cache, cache_root
from snippets.build.deps import ProjectGraph, library_versions
from tests.conftest import REPO

FILES = {
    "helper_a.py": "X = 2\n",
    "helper_b.py": "Y = 3\n",
    "data/table.csv": "n\n1\n2\n",
    "jobs_a.py": """
        from pathlib import Path

        from snippets import helper_a
        from snippets.build import output, values

        @values("va", page="t/a", data=("table.csv",))
        def va():
            rows = (Path(__file__).parent / "data" / "table.csv").read_text().split()[1:]
            return {"x": helper_a.X, "total": sum(map(int, rows)), "nested": {"half": 0.5}}

        @output("oa", page="t/a")
        def oa():
            print("hello", helper_a.X)

        @output("oa-error", page="t/a", raises="ZeroDivisionError")
        def oa_error():
            print("before")
            1 / 0
        """,
    "jobs_b.py": """
        from matplotlib.figure import Figure

        from snippets.helper_b import Y
        from snippets.build import figure

        @figure("fb", page="t/b", needs=("va",))
        def fb(theme, va):
            fig = Figure()
            ax = fig.subplots()
            ax.plot([0, 1, Y], [0, va["x"], 1], label="line")
            ax.legend()
            return fig

        @figure("fb-png", page="t/b", format="png")
        def fb_png(theme):
            fig = Figure(figsize=(2, 2))
            fig.subplots().imshow([[0, 1], [1, 0]], cmap=theme.cmap)
            return fig
        """,
}


def build(pkg, **kw):
    return runner.ensure(package_dir=pkg, cache=Cache(pkg.parent / "cache"), log=lambda m: None, **kw)


def statuses(result):
    return {job_id: r.status for job_id, r in result.results.items()}


@pytest.fixture
def pkg(project):
    return project(FILES)


def test_first_build_runs_everything_then_everything_is_cached(pkg):
    first = build(pkg)
    assert set(statuses(first).values()) == {"run"}, {j: r.error for j, r in first.results.items()}
    assert first.summary().startswith("jobs: 5 run, 0 cached, 0 failed in ")
    second = build(pkg)
    assert set(statuses(second).values()) == {"cached"}
    assert second.values("va") == {"x": 2, "total": 3, "nested": {"half": 0.5}}
    assert second.output("oa") == "hello 2\n"
    assert second.output("oa-error") == "before\nZeroDivisionError: division by zero\n"


def test_editing_a_module_reruns_exactly_the_jobs_that_import_it(pkg):
    build(pkg)
    (pkg / "helper_b.py").write_text("Y = 4\n")
    assert statuses(build(pkg)) == {"va": "cached", "oa": "cached", "oa-error": "cached",
                                    "fb": "run", "fb-png": "run"}
    (pkg / "helper_a.py").write_text("X = 5\n")
    # va imports helper_a through jobs_a; fb needs va, so its key changes too
    assert statuses(build(pkg)) == {"va": "run", "oa": "run", "oa-error": "run", "fb": "run", "fb-png": "cached"}


def test_comment_only_edit_of_an_unrelated_module_reruns_nothing(pkg):
    build(pkg)
    (pkg / "unrelated.py").write_text("Z = 1\n")
    assert set(statuses(build(pkg)).values()) == {"cached"}


def test_editing_a_declared_data_file_reruns_the_job_that_reads_it(pkg):
    build(pkg)
    (pkg / "data" / "table.csv").write_text("n\n1\n2\n3\n")
    result = build(pkg)
    assert result.results["va"].status == "run" and result.values("va")["total"] == 6
    assert result.results["oa"].status == "cached"


def test_missing_data_file_is_a_clear_error(pkg):
    (pkg / "data" / "table.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"job 'va' .* declares data file 'table.csv'"):
        build(pkg)


def test_library_versions_cover_what_a_library_requires(tmp_path):
    import importlib.metadata as md

    versions = library_versions({"timm"}, tmp_path)
    assert versions["timm"] == md.version("timm")
    assert versions["torch"] == md.version("torch")  # timm requires torch
    assert library_versions({"no_such_module_xyz"}, tmp_path) == {"no_such_module_xyz": "not installed"}


def test_key_covers_library_versions(pkg, monkeypatch):
    plan = runner.make_plan(pkg)
    from snippets.build import cache as cache_mod
    graph = ProjectGraph(pkg)
    spec = plan.jobs["fb-png"]
    inputs = cache_mod.key_inputs(spec, graph, {}, memo_dir=cache_root() / "libraries")
    assert cache_mod.compute_key(inputs) == plan.keys["fb-png"]
    assert "matplotlib" in inputs["libraries"] and "koreanize-matplotlib" in inputs["libraries"]  # the fonts
    monkeypatch.setattr(cache_mod, "library_versions", lambda names, memo_dir: {"matplotlib": "0.0"})
    assert cache_mod.compute_key(cache_mod.key_inputs(spec, graph, {}, memo_dir=cache_root() / "libraries")) != \
        plan.keys["fb-png"]


def test_figures_are_byte_identical_across_runs_and_have_no_date(pkg):
    first = build(pkg)
    variants = ("ko-light", "ko-dark", "en-light", "en-dark")
    assert first.results["fb"].spec.artifacts == tuple(f"{v}.svg" for v in variants)

    def drawn(result, job):
        return {v: result.results[job].artifact(f"{v}.{result.results[job].spec.format}").read_bytes()
                for v in variants}

    files = {j: drawn(first, j) for j in ("fb", "fb-png")}
    again = build(pkg, force=("fb", "fb-png"))
    assert statuses(again)["fb"] == "run"
    for j in ("fb", "fb-png"):
        assert drawn(again, j) == files[j], j
    light, dark = files["fb"]["ko-light"], files["fb"]["ko-dark"]
    assert light != dark
    assert b"<dc:date>" not in light and b"Date" not in light
    assert files["fb-png"]["en-light"].startswith(b"\x89PNG")


def test_a_failing_job_is_reported_and_the_others_still_run(pkg):
    (pkg / "jobs_c.py").write_text(
        "from snippets.build import values\n\n\n"
        "@values('vc', page='t/c')\ndef vc():\n    raise RuntimeError('boom in vc')\n")
    result = build(pkg)
    assert result.results["vc"].status == "failed"
    assert "RuntimeError: boom in vc" in result.results["vc"].error
    assert 'jobs_c.py", line 6, in vc' in result.results["vc"].error
    assert "worker.py" not in result.results["vc"].error
    assert result.count("run") == 5 and "1 failed" in result.summary()
    message = runner.failure_message(result)
    assert "build job 'vc' for article 't/c' failed" in message and "boom in vc" in message
    # not cached: a new process (a new build) runs it again; this one remembers the failure
    assert build(pkg).results["vc"].error == result.results["vc"].error


def test_a_job_needing_a_failed_job_is_not_run(pkg):
    (pkg / "jobs_a.py").write_text((pkg / "jobs_a.py").read_text().replace('"x": helper_a.X', '"x": 1 / 0'))
    result = build(pkg)
    assert result.results["va"].status == "failed"
    assert result.results["fb"].status == "failed"
    assert "the job it needs failed: va" in result.results["fb"].error


def test_output_job_that_does_not_raise_as_declared_fails(pkg):
    (pkg / "jobs_a.py").write_text((pkg / "jobs_a.py").read_text().replace("1 / 0", "pass"))
    result = build(pkg)
    assert "declares raises='ZeroDivisionError', but nothing was raised" in result.results["oa-error"].error


def test_values_must_be_json(pkg):
    (pkg / "jobs_a.py").write_text((pkg / "jobs_a.py").read_text().replace('"nested": {"half": 0.5}',
                                                                               '"nested": object()'))
    assert "must return JSON values" in build(pkg).results["va"].error


def test_manifest_and_prune(pkg):
    result = build(pkg)
    manifest = json.loads((result.results["va"].folder / "manifest.json").read_text())
    assert manifest["job"] == "va" and manifest["page"] == "t/a"
    assert "snippets.helper_a" in manifest["inputs"]["modules"]
    (pkg / "helper_a.py").write_text("X = 7\n")
    build(pkg)
    cache = Cache(pkg.parent / "cache")
    removed = cache.prune(runner.make_plan(pkg).keys)
    assert len(removed) == 4  # old va, oa, oa-error, fb entries


def test_cli_list_and_run(tmp_path):
    env = {"DOCS_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    run_cli = functools.partial(subprocess.run, capture_output=True, text=True, env=env, cwd=REPO)
    listing = run_cli([sys.executable, "-m", "snippets.build", "list"], check=True).stdout
    assert "gelu-digits" in listing and "stale" in listing and "activations/gelu" in listing
    run = run_cli([sys.executable, "-m", "snippets.build", "run", "gelu-table"], check=True)
    assert run.stdout.startswith("jobs: 1 run, 0 cached, 0 failed")
    forced = run_cli([sys.executable, "-m", "snippets.build", "run", "--force", "gelu-table"], check=True)
    assert forced.stdout.startswith("jobs: 1 run, 0 cached")
    bad = run_cli([sys.executable, "-m", "snippets.build", "run", "nope"])
    assert bad.returncode == 2 and "no such job: nope" in bad.stderr




FILE_JOBS = {
    "jobs_files.py": """
        import json

        from snippets.build import output, values

        @values("trained", page="t/f", files=("weights.json",))
        def trained(outdir):
            (outdir / "weights.json").write_text(json.dumps([1, 2, 3]))
            return {"accuracy": 0.9}

        @output("reuse", page="t/f", needs=("trained",))
        def reuse(trained):
            print(trained["accuracy"], json.load(open(trained["files"]["weights.json"])))

        @values("forgets", page="t/f", files=("missing.pt",))
        def forgets(outdir):
            return {}
        """,
}


def test_values_jobs_can_write_files_that_other_jobs_read(project):
    pkg = project(FILE_JOBS)
    result = build(pkg)
    assert statuses(result) == {"trained": "run", "reuse": "run", "forgets": "failed"}
    assert "declares files ['missing.pt'] but did not write ['missing.pt']" in result.results["forgets"].error
    entry = result.results["trained"].folder
    assert json.loads((entry / "weights.json").read_text()) == [1, 2, 3]
    assert (result.results["reuse"].folder / "output.txt").read_text() == "0.9 [1, 2, 3]\n"
    again = build(pkg)
    assert statuses(again)["trained"] == "cached" and statuses(again)["reuse"] == "cached"
    (entry / "weights.json").unlink()  # an entry without its file is incomplete: the job runs again
    assert statuses(build(pkg))["trained"] == "run"


EXTERNAL_JOB = {
    "jobs_ext.py": """
        import os

        from snippets.build import values

        @values("uses-weights", page="t/e", external=("$MODEL_NOTES_TEST_WEIGHTS", "~/hub/*/model.bin"))
        def uses_weights():
            path = os.environ.get("MODEL_NOTES_TEST_WEIGHTS")
            return {"weights": open(path).read() if path and os.path.isfile(path) else None}
        """,
}


def test_external_files_are_part_of_the_key(project, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))  # what ~ expands to
    monkeypatch.delenv("MODEL_NOTES_TEST_WEIGHTS", raising=False)
    pkg = project(EXTERNAL_JOB)
    plan = lambda: runner.make_plan(pkg)
    key = lambda: plan().keys["uses-weights"]
    nothing = key()
    assert plan().inputs["uses-weights"]["external"] == {"$MODEL_NOTES_TEST_WEIGHTS": [], "~/hub/*/model.bin": []}

    weights = home / "hub" / "snapshot-1" / "model.bin"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"1234")
    appeared = key()
    assert appeared != nothing and key() == appeared
    ((path, size, _),) = plan().inputs["uses-weights"]["external"]["~/hub/*/model.bin"]
    assert (path, size) == (str(weights), 4)

    weights.write_bytes(b"12345")  # another size
    resized = key()
    assert resized not in (nothing, appeared)
    mtime = weights.stat().st_mtime_ns
    os.utime(weights, ns=(mtime, mtime + 10**9))  # the same size, another modification time
    assert key() not in (nothing, appeared, resized)

    weights.unlink()
    assert key() == nothing
    weights.mkdir()  # a folder is not a weights file
    assert key() == nothing
    weights.rmdir()
    blob = home / "blobs" / "abc"  # the Hugging Face cache links snapshots to blobs
    blob.parent.mkdir()
    blob.write_bytes(b"123")
    weights.symlink_to(blob)
    assert plan().inputs["uses-weights"]["external"]["~/hub/*/model.bin"][0][1] == 3


def test_external_variables(project, tmp_path, monkeypatch):
    from snippets.build.cache import external_files

    file = tmp_path / "w.bin"
    file.write_text("w")
    monkeypatch.delenv("MODEL_NOTES_TEST_UNSET", raising=False)
    monkeypatch.setenv("MODEL_NOTES_TEST_EMPTY", "")
    assert external_files(("$MODEL_NOTES_TEST_UNSET",), tmp_path) == {"$MODEL_NOTES_TEST_UNSET": []}
    # an empty variable must not turn the pattern into the root folder or into an absolute path
    assert external_files(("$MODEL_NOTES_TEST_EMPTY", "${MODEL_NOTES_TEST_EMPTY}" + str(file)), tmp_path) == \
        {"$MODEL_NOTES_TEST_EMPTY": [], "${MODEL_NOTES_TEST_EMPTY}" + str(file): []}
    monkeypatch.setenv("MODEL_NOTES_TEST_SET", str(file))
    (match,) = external_files(("${MODEL_NOTES_TEST_SET}",), tmp_path)["${MODEL_NOTES_TEST_SET}"]
    assert match[:2] == [str(file), 1]
    monkeypatch.setenv("MODEL_NOTES_TEST_SET", "w.bin")  # relative: from the folder jobs run in
    assert external_files(("$MODEL_NOTES_TEST_SET",), tmp_path)["$MODEL_NOTES_TEST_SET"][0][0] == str(file)
    monkeypatch.setenv("MODEL_NOTES_TEST_SET", str(tmp_path))  # a folder matches nothing
    assert external_files(("$MODEL_NOTES_TEST_SET",), tmp_path) == {"$MODEL_NOTES_TEST_SET": []}


def test_a_job_reruns_when_its_external_file_appears_or_changes(project, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_failed_before", {})
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MODEL_NOTES_TEST_WEIGHTS", raising=False)
    pkg = project(EXTERNAL_JOB)
    assert build(pkg).values("uses-weights") == {"weights": None}
    assert statuses(build(pkg)) == {"uses-weights": "cached"}
    weights = tmp_path / "weights.bin"
    weights.write_text("pretrained")
    monkeypatch.setenv("MODEL_NOTES_TEST_WEIGHTS", str(weights))
    found = build(pkg)
    assert statuses(found) == {"uses-weights": "run"} and found.values("uses-weights") == {"weights": "pretrained"}
    weights.write_text("fine-tuned")
    assert build(pkg).values("uses-weights") == {"weights": "fine-tuned"}
    weights.unlink()
    gone = build(pkg)
    assert statuses(gone) == {"uses-weights": "cached"} and gone.values("uses-weights") == {"weights": None}


def test_force_replaces_the_cached_entry(project):
    """`run --force` on an unchanged key runs the job again and keeps the new files (a timing
    job forced by a writer shows the new timings, not the old ones)."""
    pkg = project({"clock.py": """
        import time

        from snippets.build import values

        @values("clock", page="t/c")
        def clock():
            return {"now": time.time_ns()}
        """})
    first = build(pkg).values("clock")["now"]
    again = build(pkg, force=("clock",))
    assert again.results["clock"].status == "run"
    assert again.values("clock")["now"] > first
    assert build(pkg).values("clock")["now"] == again.values("clock")["now"]  # and it is what the cache holds
    assert [p.name for p in (pkg.parent / "cache" / "jobs" / "clock").iterdir()] == [again.results["clock"].key]


def test_a_generator_figure_computes_once_and_draws_every_variant(project):
    pkg = project({"gen.py": """
        from matplotlib.figure import Figure

        from snippets.build import figure

        CALLS = []

        @figure("gen-all", page="t/g")
        def gen_all(themes):
            CALLS.append(1)  # the computation: once per job, whatever the number of variants
            for theme in themes:
                fig = Figure(figsize=(2, 1))
                fig.subplots().set_title(theme.text(ko="정확도", en="accuracy") + f" {len(CALLS)}")
                yield fig

        @figure("gen-short", page="t/g")
        def gen_short(themes):
            yield Figure()
        """})
    result = build(pkg)
    r = result.results["gen-all"]
    assert r.status == "run"
    svgs = {v: r.artifact(f"{v}.svg").read_text() for v in ("ko-light", "ko-dark", "en-light", "en-dark")}
    assert all("<!-- 정확도 1 -->" in svgs[v] for v in ("ko-light", "ko-dark"))
    assert all("<!-- accuracy 1 -->" in svgs[v] for v in ("en-light", "en-dark"))
    short = result.results["gen-short"]
    assert short.status == "failed" and "must return (or yield) a matplotlib Figure" in short.error
