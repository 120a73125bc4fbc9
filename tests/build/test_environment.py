"""What the build report says about where a build ran (snippets/build/environment.py)."""

from __future__ import annotations

import platform
import re
import shutil
import subprocess

import pytest

from snippets.build import environment


def test_describe_names_date_versions_cpu_and_lanes(tmp_path):
    d = environment.describe(tmp_path, lanes=2)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", d["date"])
    assert d["python"] == platform.python_version() and d["lanes"] == "2"
    assert re.match(r"\d+\.\d+", d["torch"]) and re.match(r"\d+\.\d+", d["timm"])
    assert d["cpu"] and int(d["cores"]) >= 1
    assert d["commit"] == "unknown"  # tmp_path is no git checkout


@pytest.mark.skipif(not shutil.which("git"), reason="no git")
def test_commit_is_the_checkouts_head_marked_when_changed(tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    git("init", "-q")
    (tmp_path / "a.txt").write_text("1")
    git("add", "a.txt")
    git("commit", "-qm", "one")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tmp_path, capture_output=True,
                          text=True).stdout.strip()
    assert environment.commit(tmp_path) == head
    (tmp_path / "a.txt").write_text("2")
    assert environment.commit(tmp_path) == head + "+"
