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
