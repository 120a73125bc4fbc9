"""Shared fixtures: throw-away projects for the build machinery, and one real site build."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"figures: (\d+) run, (\d+) cached, (\d+) failed in ([\d.]+)s")


def write_project(root: Path, files: dict[str, str]) -> Path:
    """A ``snippets`` package under ``root`` with a copy of the real build machinery and
    ``files`` (paths relative to the package). Returns the package folder."""
    package = root / "snippets"
    shutil.copytree(REPO / "snippets" / "build", package / "build",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").write_text("")
    for rel, text in files.items():
        path = package / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return package


@pytest.fixture
def project(tmp_path):
    return lambda files: write_project(tmp_path / "project", files)


def copy_site_project(dest: Path) -> Path:
    """The repository's site (config, docs, snippets, overrides) copied to ``dest``."""
    from snippets.build.bench import copy_project

    return copy_project(dest)


def private_cache(built: BuiltSite, dest: Path) -> Path:
    """A copy of the session build's (warm) cache, so a test's edits cannot leak into another's."""
    shutil.copytree(built.cache, dest)
    return dest


def mkdocs_env(cache_dir: Path) -> dict:
    env = dict(os.environ, DOCS_CACHE_DIR=str(cache_dir), NO_MKDOCS_2_WARNING="1")
    env.pop("PYTHONPATH", None)
    return env


def mkdocs_build(project_dir: Path, site_dir: Path, cache_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *extra, "-m", "mkdocs", "build", "--strict", "-d", str(site_dir)],
                          cwd=project_dir, env=mkdocs_env(cache_dir), capture_output=True, text=True, timeout=900)


@dataclass
class BuiltSite:
    dir: Path
    cache: Path
    cold: subprocess.CompletedProcess
    warm: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> BuiltSite:
    """A cold strict build of the real site into a temporary folder with an empty cache,
    then a second (warm) build with ``-X importtime`` to see what it imported."""
    base = tmp_path_factory.mktemp("site")
    site, cache = base / "site", base / "cache"
    cold = mkdocs_build(REPO, site, cache)
    assert cold.returncode == 0, cold.stdout + cold.stderr
    warm = mkdocs_build(REPO, site, cache, "-X", "importtime")
    assert warm.returncode == 0, warm.stdout + warm.stderr
    return BuiltSite(site, cache, cold, warm)


class Server:
    def __init__(self, project: Path, cache: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--livereload", "-a", f"127.0.0.1:{self.port}"],
            cwd=project, env=mkdocs_env(cache), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def summaries(self) -> list[tuple[int, int, int]]:
        return [tuple(map(int, m.groups()[:3])) for m in map(SUMMARY.search, self.lines) if m]

    def wait_for_summary(self, count: int, timeout: float = 120) -> tuple[int, int, int]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if len(self.summaries()) >= count:
                return self.summaries()[count - 1]
            assert self.proc.poll() is None, "".join(self.lines)
            time.sleep(0.2)
        raise AssertionError(f"no summary line #{count} within {timeout}s:\n" + "".join(self.lines))

    def wait_for_build_done(self, count: int, timeout: float = 60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if sum("Documentation built in" in line for line in self.lines) >= count:
                return
            time.sleep(0.2)
        raise AssertionError("build did not finish:\n" + "".join(self.lines))

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def edit(path: Path, old: str, new: str):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))
