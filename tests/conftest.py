"""Shared fixtures: throw-away projects for the build machinery, and one real site build."""

from __future__ import annotations

import json
import os
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
from functools import cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from snippets.build.languages import languages, page_file, split_page_file
from snippets.build.runner import SUMMARY
from tests.sample_site import write_site

REPO = Path(__file__).resolve().parents[1]
# every page written in any language: "index", "activations/gelu", ...
PAGES = sorted({found[0] for p in (REPO / "docs").rglob("*.md")
                if (found := split_page_file(p.relative_to(REPO / "docs").as_posix(), languages(REPO)))})
ARTICLES = [p for p in PAGES if '--8<-- "' in (REPO / "docs" / page_file(p, "ko")).read_text(encoding="utf-8")]
LANGUAGES_ONLY = """\
plugins:
  - i18n:
      languages:
        - locale: ko
          default: true
        - locale: en
"""


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Every test that uses torch runs it on one thread, as the build's jobs do (snippets/threads.py
    says why); tests that never import torch do not import it here either."""
    if "torch" not in sys.modules:
        yield
        return
    from snippets.threads import torch_threads

    with torch_threads(1):
        yield


BUILDS = {"built_site", "sample_built", "sample"}  # fixtures that run real MkDocs builds


def pytest_collection_modifyitems(items):
    """A test that needs a real site build is slow, whatever its module: mark it so."""
    for item in items:
        if BUILDS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def write_project(root: Path, files: dict[str, str]) -> Path:
    """A ``snippets`` package under ``root`` with a copy of the real build machinery and
    ``files`` (paths relative to the package). Returns the package folder."""
    package = root / "snippets"
    shutil.copytree(REPO / "snippets" / "build", package / "build",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").write_text("")
    (root / "mkdocs.yml").write_text(LANGUAGES_ONLY)  # the build reads the site's languages from it
    for rel, text in files.items():
        path = package / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return package


@pytest.fixture
def project(tmp_path):
    return lambda files: write_project(tmp_path / "project", files)


def private_cache(built: BuiltSite, dest: Path) -> Path:
    """A copy of a session build's (warm) cache, so a test's edits cannot leak into another's."""
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


@pytest.fixture(scope="session")
def sample_built(tmp_path_factory) -> BuiltSite:
    """The synthetic sample site (tests/sample_site.py) built cold, then warm: a warm cache that
    the infrastructure tests copy."""
    base = tmp_path_factory.mktemp("sample")
    project, site, cache = write_site(base / "project"), base / "site", base / "cache"
    cold = mkdocs_build(project, site, cache)
    assert cold.returncode == 0, cold.stdout + cold.stderr
    warm = mkdocs_build(project, site, cache)
    assert warm.returncode == 0, warm.stdout + warm.stderr
    return BuiltSite(site, cache, cold, warm)


@pytest.fixture
def sample(tmp_path, sample_built) -> tuple[Path, Path]:
    """A fresh copy of the sample site and of its warm cache: (project, cache)."""
    return write_site(tmp_path / "project"), private_cache(sample_built, tmp_path / "cache")


class Server:
    def __init__(self, project: Path, cache: Path, **env: str):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--livereload", "-a", f"127.0.0.1:{self.port}"],
            cwd=project, env={**mkdocs_env(cache), **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
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

    def builds_done(self) -> int:
        """Finished builds: the first, once the server says it is serving, then one per
        "Reloading browsers". Not "Documentation built in ...": MkDocs drops a log message
        it has logged before (``DuplicateFilter`` on the build logger), so a rebuild that
        takes as long as an earlier one, to the hundredth of a second, prints no such line."""
        serving = any("Serving on" in line for line in self.lines)
        return serving + sum("Reloading browsers" in line for line in self.lines)

    def wait_for_build_done(self, count: int, timeout: float = 60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.builds_done() >= count:
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


# --- reading the session's real build (claims tests and site tests) ------------------------


def job_values(built: BuiltSite, job_id: str) -> dict:
    """The values a job wrote in the build under test."""
    return json.loads(next(built.cache.glob(f"jobs/{job_id}/*/values.json")).read_text())


def job_output(built: BuiltSite, job_id: str) -> str:
    """What an output job printed in the build under test."""
    return next(built.cache.glob(f"jobs/{job_id}/*/output.txt")).read_text()


def page_html(site: Path, slug: str, lang: str) -> Path:
    prefix = site / "en" if lang == "en" else site
    return prefix / "index.html" if slug == "index" else prefix / slug / "index.html"


@cache
def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def page_body(path: Path):
    """The article element of a built page (what the reader reads, without navigation)."""
    return soup(path).select_one("article.md-content__inner")


def article_listings(html: Path) -> list[str]:
    """The code of every listing on a built article page (blocks titled with a snippets path),
    folded ones included, but not the collapsed "code for this figure/table" blocks the build adds."""
    from snippets.build.pages import JOB_CODE_CLASS

    codes = []
    for block in soup(html).select("article div.highlight"):
        if block.find_parent("details", class_=JOB_CODE_CLASS):
            continue
        title = block.select_one(".filename")
        if title and title.get_text().startswith("snippets/"):
            codes.append(block.select_one("pre").get_text().strip("\n"))
    return codes
