"""Shared fixtures: throw-away projects for the build machinery, and one real site build."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
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
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("mkdocs.yml", "docs", "snippets", "overrides"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
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
