"""GitHub workflows: actionlint (with shellcheck for the run steps) and least privilege."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
BIN = Path(sys.executable).parent


def actionlint(*paths):
    exe = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
    assert exe, "actionlint is missing: requirements-dev.txt installs it"
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")  # its shellcheck too
    return subprocess.run([exe, "-verbose", *map(str, paths)], capture_output=True, text=True, env=env, cwd=REPO)


def test_every_workflow_passes_actionlint_with_shellcheck():
    result = actionlint(WORKFLOWS / "ci.yml", WORKFLOWS / "pages.yml", WORKFLOWS / "canary.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Rule "shellcheck" was disabled' not in result.stdout + result.stderr


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
    pages = yaml.safe_load((WORKFLOWS / "pages.yml").read_text())
    assert pages["permissions"] == {}
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
    assert "path: .cache" in ci and "hashFiles('requirements*.txt', 'snippets/**/*.py'" in ci


def _pages_build():
    return yaml.safe_load((WORKFLOWS / "pages.yml").read_text())["jobs"]["build"]


def test_the_pages_workflow_fetches_the_deit_weights_where_the_build_reads_them():
    """The variable the build reads (and the DeiT jobs' keys watch) names the file the fetch step
    writes, inside the folder the cache step keeps, before the build runs."""
    from snippets.articles.vit.attention_map import DEIT_WEIGHTS
    from snippets.vit.attention_maps import WEIGHTS_ENV

    job = _pages_build()
    path, url = job["env"][WEIGHTS_ENV], job["env"]["DEIT_TINY_URL"]
    assert f"${WEIGHTS_ENV}" in DEIT_WEIGHTS
    assert path.startswith("${{ github.workspace }}/") and Path(path).name == url.rsplit("/", 1)[1]
    names = [step.get("name") or step.get("uses") or step.get("id") for step in job["steps"]]
    cache = next(s for s in job["steps"]
                 if s.get("uses", "").startswith("actions/cache") and "weights" in s["with"]["path"])
    # the cache keeps the folder of the file (paths relative to the workspace)
    assert path.removeprefix("${{ github.workspace }}/") == f'{cache["with"]["path"]}/{Path(path).name}'
    fetch, build = names.index("Fetch and check the DeiT-Tiny weights"), names.index("Strict build")
    assert job["steps"].index(cache) < fetch < build


def _fetch(tmp_path, name: str, content: bytes, pin: str = ""):
    """Run the fetch step's script on a weights file already in place (nothing is downloaded)."""
    script = next(s["run"] for s in _pages_build()["steps"] if s.get("name") == "Fetch and check the DeiT-Tiny weights")
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
    pinned, _, _ = _fetch(tmp_path, f"deit_tiny_patch16_224-{digest[:8]}.pth", content, pin=digest)
    assert pinned.returncode == 0, pinned.stdout
    wrong = "0" * 8 if digest[:8] != "0" * 8 else "1" * 8
    changed, weights, _ = _fetch(tmp_path, f"deit_tiny_patch16_224-{wrong}.pth", content)
    assert changed.returncode == 1 and f"does not start with {wrong}" in changed.stdout
    assert not weights.exists()  # not kept for the cache
    repinned, weights, _ = _fetch(tmp_path, f"deit_tiny_patch16_224-{digest[:8]}.pth", content, pin="f" * 64)
    assert repinned.returncode == 1 and "DEIT_TINY_SHA256 pins" in repinned.stdout and not weights.exists()
