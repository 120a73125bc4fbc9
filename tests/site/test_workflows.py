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


def test_both_workflows_pass_actionlint_with_shellcheck():
    result = actionlint(WORKFLOWS / "ci.yml", WORKFLOWS / "pages.yml")
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


def test_ci_runs_the_readme_commands_and_caches_jobs_by_their_inputs():
    ci = (WORKFLOWS / "ci.yml").read_text()
    assert "run: make test" in ci and "run: make build" in ci
    assert "cache: pip" in ci
    assert "path: .cache" in ci and "hashFiles('requirements*.txt', 'snippets/**/*.py'" in ci
