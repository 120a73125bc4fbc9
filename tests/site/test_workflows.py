"""GitHub workflows: actionlint (with shellcheck for the run steps), least privilege, the sharded
build jobs (build-jobs.yml) and the DeiT weights action."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from snippets.build.shards import COUNT
from tests.conftest import REPO, mkdocs_env

WORKFLOWS = REPO / ".github" / "workflows"
BIN = Path(sys.executable).parent


def actionlint(*paths):
    exe = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
    assert exe, "actionlint is missing: requirements-dev.txt installs it"
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")  # its shellcheck too
    return subprocess.run([exe, "-verbose", *map(str, paths)], capture_output=True, text=True, env=env, cwd=REPO)


def test_every_workflow_passes_actionlint_with_shellcheck():
    result = actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert {"ci.yml", "pages.yml", "canary.yml", "build-jobs.yml"} <= {p.name for p in WORKFLOWS.glob("*.yml")}
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Rule "shellcheck" was disabled' not in result.stdout + result.stderr


def test_the_weights_action_passes_shellcheck(tmp_path):
    """actionlint checks workflows, not composite actions: their run steps go to shellcheck here."""
    exe = shutil.which("shellcheck", path=str(BIN)) or shutil.which("shellcheck")
    scripts = [s["run"] for s in _action()["runs"]["steps"] if "run" in s]
    assert len(scripts) == 2
    for script in scripts:
        path = tmp_path / "step.sh"
        path.write_text("#!/usr/bin/env bash\n" + script.replace("${{ inputs.sha256 }}", "x"))
        result = subprocess.run([exe, str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\ncd $UNQUOTED\n")
    assert "SC2086" in subprocess.run([exe, str(bad)], capture_output=True, text=True).stdout


def test_actionlint_does_catch_mistakes(tmp_path):
    bad = (WORKFLOWS / "ci.yml").read_text().replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.04\n    step: []")
    bad = bad.replace("run: make test", 'run: echo "${{ github.event.pull_request.title }}" && cd $UNQUOTED')
    path = tmp_path / "bad.yml"
    path.write_text(bad)
    result = actionlint(path)
    assert result.returncode == 1
    assert "unexpected key \"step\"" in result.stdout
    assert "potentially untrusted" in result.stdout  # script injection
    assert "SC2086" in result.stdout  # shellcheck ran on the run step


def test_permissions_are_least_privilege():
    ci = yaml.safe_load((WORKFLOWS / "ci.yml").read_text())
    assert ci["permissions"] == {"contents": "read"}
    jobs = yaml.safe_load((WORKFLOWS / "build-jobs.yml").read_text())
    assert jobs["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in jobs["jobs"].values())
    pages = yaml.safe_load((WORKFLOWS / "pages.yml").read_text())
    assert pages["permissions"] == {}
    assert pages["jobs"]["build-jobs"]["permissions"] == {"contents": "read"}
    assert pages["jobs"]["build"]["permissions"] == {"contents": "read"}
    assert pages["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    canary = yaml.safe_load((WORKFLOWS / "canary.yml").read_text())
    assert canary["permissions"] == {}
    assert canary["jobs"]["canary"]["permissions"] == {"contents": "read", "issues": "write"}


def test_the_canary_tests_the_newest_upstream_weekly_and_reports_a_failure_once():
    """Weekly and on demand: the pins except torch, torchvision and timm, which come in their
    newest release; the unit tests and a cold strict build; on failure, one issue (a comment on
    the open one), naming the step, the failing tests or jobs, and the versions."""
    text = (WORKFLOWS / "canary.yml").read_text()
    canary = yaml.safe_load(text)
    on = canary[True]  # YAML 1.1 reads the key "on" as true
    assert set(on) == {"schedule", "workflow_dispatch"} and on["schedule"][0]["cron"].split()[2:] == ["*", "*", "1"]
    steps = {s.get("name", s.get("uses")): s for s in canary["jobs"]["canary"]["steps"]}
    install = steps["Install the pins, except the newest torch, torchvision and timm"]["run"]
    assert "grep -v -E '^(torch|torchvision|timm)==' requirements.txt" in install
    assert "--upgrade" in install and "torch torchvision timm" in install
    assert 'pytest -m "not slow and not browser"' in steps["Unit tests"]["run"]
    build = steps["Cold strict build"]
    assert "mkdocs build --strict" in build["run"] and "cold-cache" in build["env"]["DOCS_CACHE_DIR"]
    assert "snippets.build notebooks site" in steps["Every notebook, downloaded and run alone"]["run"]
    report = steps["Open or update the canary issue"]
    assert report["if"] == "${{ failure() }}"
    assert "gh issue comment" in report["run"] and "gh issue create" in report["run"]
    assert "steps.install.outputs.versions" in report["env"]["VERSIONS"]


def test_ci_runs_the_readme_commands_and_caches_jobs_by_their_inputs():
    ci = (WORKFLOWS / "ci.yml").read_text()
    assert "run: make test" in ci and "run: make build" in ci
    assert "cache: pip" in ci
    jobs = (WORKFLOWS / "build-jobs.yml").read_text()
    assert "path: .cache" in jobs
    assert "hashFiles('requirements*.txt', 'mkdocs.yml', 'snippets/**/*.py', 'snippets/data/**', 'docs/**/*.md')" in jobs


def _workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _steps(job: dict) -> dict[str, dict]:
    return {s.get("name") or s.get("id") or s["uses"]: s for s in job["steps"]}


def test_build_jobs_run_sharded_then_merged_and_built_strictly():
    """plan -> a matrix of the shards that have jobs (none on a warm run) -> the caller's build job:
    it restores the cache the plan saw, downloads the artifacts the shards uploaded, merges them,
    runs the jobs that waited for the merge, then builds strictly. The number of shards lives in
    snippets/build/shards.py only."""
    flow = _workflow("build-jobs.yml")
    plan, shard = flow["jobs"]["plan"], flow["jobs"]["shard"]
    command = _steps(plan)["Split the stale jobs among the shards"]["run"]
    assert "snippets.build shards" in command and '--github-output "$GITHUB_OUTPUT"' in command
    assert "--count" not in "".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))  # N: shards.COUNT
    assert shard["needs"] == "plan" and shard["if"] == "needs.plan.outputs.stale != '0'"
    assert shard["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    run = _steps(shard)["Run this shard's jobs"]
    assert run["env"]["SHARD"] == "${{ matrix.shard }}/${{ needs.plan.outputs.count }}"
    assert "run --shard \"$SHARD\" --plan shard-plan.json --export shard-out" in run["run"]
    upload = next(s for s in shard["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["name"] == "build-jobs-shard-${{ matrix.shard }}" and upload["with"]["path"] == "shard-out"
    restore = next(s for s in shard["steps"] if s.get("uses", "").startswith("actions/cache/restore"))
    assert restore["with"]["key"] == "${{ needs.plan.outputs.cache-restored }}"
    assert set(flow[True]["workflow_call"]["outputs"]) == {"stale", "cache-key", "cache-restored"}
    assert upload["with"]["overwrite"] is True and shard["strategy"]["fail-fast"] is False
    key = _steps(plan)["Cache key"]
    assert "mkdocs.yml" in key["env"]["SOURCES"] and "github.run_id" in key["env"]["RUN"]
    assert plan["outputs"]["cache-key"] == "${{ steps.key.outputs.save }}"
    for name in ("ci.yml", "pages.yml"):
        caller = _workflow(name)["jobs"]
        assert caller["build-jobs"]["uses"] == "./.github/workflows/build-jobs.yml"
        build = caller["build"]
        assert build["needs"] == "build-jobs"
        steps = build["steps"]
        names = [s.get("name") or s.get("uses") for s in steps]
        restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore"))
        assert restore["with"] == {"path": ".cache", "key": "${{ needs.build-jobs.outputs.cache-restored }}"}
        download = next(s for s in steps if s.get("uses", "").startswith("actions/download-artifact"))
        assert download["with"] == {"pattern": "build-jobs-shard-*", "path": "shard-results"}
        merge = _steps(build)["Merge the shards' cache entries"]
        assert '.venv/bin/python -m snippets.build merge "${results[@]}"' in merge["run"]
        after = _steps(build)["Run the jobs that waited for the merge"]
        assert after["run"] == ".venv/bin/python -m snippets.build run --after-merge"
        save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save"))
        assert save["with"] == {"path": ".cache", "key": "${{ needs.build-jobs.outputs.cache-key }}"}
        stale = "needs.build-jobs.outputs.stale != '0'"
        assert download["if"] == merge["if"] == after["if"] == save["if"] == stale
        assert not any(s.get("uses", "").startswith("actions/cache@") for s in steps)  # saved only with news
        order = [steps.index(restore), steps.index(download), names.index(merge["name"]),
                 names.index(after["name"]), names.index("Strict build"), steps.index(save)]
        assert order == sorted(order)
        assert _steps(build)["Strict build"]["run"] == "make build"


def test_the_merge_step_merges_each_downloaded_artifact_or_warns_when_there_is_none(tmp_path):
    """Its script, with a stand-in for the CLI: each artifact folder is one argument; none is a
    warning, not an error (the next step runs every stale job)."""
    script = _steps(_workflow("ci.yml")["jobs"]["build"])["Merge the shards' cache entries"]["run"]
    fake = tmp_path / ".venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    none = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert none.returncode == 0 and "::warning::no shard uploaded cache entries" in none.stdout
    for index in (1, 2):
        (tmp_path / "shard-results" / f"build-jobs-shard-{index}" / "jobs").mkdir(parents=True)
    both = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert both.stdout.split("\n")[:5] == ["-m", "snippets.build", "merge", "shard-results/build-jobs-shard-1/",
                                             "shard-results/build-jobs-shard-2/"]


@pytest.mark.slow
def test_the_plan_step_starts_no_shard_on_a_warm_cache_and_some_on_a_cold_one(sample, tmp_path):
    """The plan step's command, on the sample site: its outputs are what the shard job's `if` and
    matrix read."""
    project, cache = sample
    command = _steps(_workflow("build-jobs.yml")["jobs"]["plan"])["Split the stale jobs among the shards"]["run"]
    outputs = {}
    for name, folder in (("warm", cache), ("cold", tmp_path / "empty")):
        out = tmp_path / f"{name}.txt"
        env = dict(mkdocs_env(folder), GITHUB_OUTPUT=str(out))
        done = subprocess.run(["bash", "-c", command.replace(".venv/bin/python", sys.executable)], cwd=project,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs[name] = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert outputs["warm"] == {"count": str(COUNT), "stale": "0", "shards": "[]"}
    assert int(outputs["cold"]["stale"]) > 0 and json.loads(outputs["cold"]["shards"])
    assert (project / "shard-plan.json").is_file()


ACTION = REPO / ".github" / "actions" / "deit-tiny-weights" / "action.yml"


def _action() -> dict:
    return yaml.safe_load(ACTION.read_text())


def test_the_pages_workflow_fetches_the_deit_weights_where_the_build_reads_them():
    """The variable the build reads (and the DeiT jobs' keys watch) names the file the fetch step
    writes, inside the folder the cache step keeps; every Pages job that computes keys (plan,
    shards, build) fetches them before it plans, runs or builds; CI does not."""
    from snippets.articles.vit.attention_map import DEIT_WEIGHTS
    from snippets.vit.attention_maps import WEIGHTS_ENV

    steps = _action()["runs"]["steps"]
    where = steps[0]["run"]
    path = re.search(rf"^echo \"{WEIGHTS_ENV}=(\S+)\" >> \"\$GITHUB_ENV\"$", where, flags=re.M).group(1)
    url = re.search(r'^echo "DEIT_TINY_URL=(\S+)" >> "\$GITHUB_ENV"$', where, flags=re.M).group(1)
    assert f"${WEIGHTS_ENV}" in DEIT_WEIGHTS
    assert path.startswith("$GITHUB_WORKSPACE/") and Path(path).name == url.rsplit("/", 1)[1]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache"))
    assert path.removeprefix("$GITHUB_WORKSPACE/") == f'{cache["with"]["path"]}/{Path(path).name}'
    assert steps.index(cache) < [s.get("name") for s in steps].index("Fetch and check the DeiT-Tiny weights")
    uses = "./.github/actions/deit-tiny-weights"
    build = _workflow("pages.yml")["jobs"]["build"]["steps"]
    names = [s.get("name") or s.get("uses") for s in build]
    assert names.index(uses) < names.index("Strict build")
    assert _workflow("pages.yml")["jobs"]["build-jobs"]["with"] == {"deit-weights": True}
    for job in _workflow("build-jobs.yml")["jobs"].values():
        step = next(s for s in job["steps"] if s.get("uses") == uses)
        assert step["if"] == "inputs.deit-weights"
        first = next(i for i, s in enumerate(job["steps"]) if "make install" in s.get("run", ""))
        assert job["steps"].index(step) < first
    assert "deit-weights" not in (WORKFLOWS / "ci.yml").read_text()


def _fetch(tmp_path, name: str, content: bytes, pin: str = ""):
    """Run the fetch step's script on a weights file already in place (nothing is downloaded)."""
    script = next(s["run"] for s in _action()["runs"]["steps"] if s.get("name") == "Fetch and check the DeiT-Tiny weights")
    weights = tmp_path / ".weights" / name
    weights.parent.mkdir(exist_ok=True)
    weights.write_bytes(content)
    summary = tmp_path / "summary.md"
    env = dict(os.environ, MODEL_NOTES_DEIT_TINY_WEIGHTS=str(weights), GITHUB_STEP_SUMMARY=str(summary),
               DEIT_TINY_URL=f"https://example.invalid/deit/{name}", DEIT_TINY_SHA256=pin)
    run = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
    return run, weights, summary


def test_the_fetch_step_refuses_weights_whose_digest_does_not_match(tmp_path):
    import hashlib

    content = b"pretend weights"
    digest = hashlib.sha256(content).hexdigest()
    ok, weights, summary = _fetch(tmp_path, f"deit_tiny_patch16_224-{digest[:8]}.pth", content)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert weights.is_file() and digest in summary.read_text()
    assert weights.stat().st_mtime == 1609459200  # the DeiT jobs' keys hold it: the same on every runner
    pinned, _, _ = _fetch(tmp_path, f"deit_tiny_patch16_224-{digest[:8]}.pth", content, pin=digest)
    assert pinned.returncode == 0, pinned.stdout
    wrong = "0" * 8 if digest[:8] != "0" * 8 else "1" * 8
    changed, weights, _ = _fetch(tmp_path, f"deit_tiny_patch16_224-{wrong}.pth", content)
    assert changed.returncode == 1 and f"does not start with {wrong}" in changed.stdout
    assert not weights.exists()  # not kept for the cache
    repinned, weights, _ = _fetch(tmp_path, f"deit_tiny_patch16_224-{digest[:8]}.pth", content, pin="f" * 64)
    assert repinned.returncode == 1 and "DEIT_TINY_SHA256 pins" in repinned.stdout and not weights.exists()
