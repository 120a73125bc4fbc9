"""Contract 5 (failure) and the writer's loop: `mkdocs build` fails loudly, `mkdocs serve`
keeps serving with an error box, and saving a module re-runs exactly the jobs importing it."""

from __future__ import annotations

import re

import pytest

from snippets.build.runner import make_plan

from .conftest import SUMMARY, Server, copy_site_project, edit, mkdocs_build, private_cache

N = len(make_plan().jobs)  # the site's jobs, all cached by the session build

pytestmark = pytest.mark.slow

BROKEN_JOB = '''
from snippets.build import values


@values("broken-job", page="activations/gelu")
def broken():
    raise RuntimeError("synthetic failure for the test")
'''


@pytest.fixture
def site_copy(tmp_path, built_site):
    """The real site in a scratch folder, with a copy of the session build's warm cache."""
    return copy_site_project(tmp_path / "project"), private_cache(built_site, tmp_path / "cache")


def test_failed_job_fails_the_build_naming_job_article_and_exception(site_copy, tmp_path):
    project, cache = site_copy
    (project / "snippets/activations/broken.py").write_text(BROKEN_JOB)
    result = mkdocs_build(project, tmp_path / "site", cache)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "build job 'broken-job' for article 'activations/gelu' failed" in out
    assert "RuntimeError: synthetic failure for the test" in out
    assert "broken.py" in out  # the traceback points at the job's code
    assert SUMMARY.search(out).groups()[:3] == ("0", str(N), "1")  # the other jobs came from the cache


def test_unknown_placeholder_fails_the_build(site_copy, tmp_path):
    project, cache = site_copy
    page = project / "docs/activations/gelu.en.md"
    page.write_text(page.read_text() + "\nThe answer is {{ gelu-numbers.no_such_value }}.\n")
    result = mkdocs_build(project, tmp_path / "site", cache)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "activations/gelu.en.md" in out and "has no value 'no_such_value'" in out


def test_serve_keeps_serving_shows_errors_and_reruns_only_what_changed(site_copy):
    project, cache = site_copy
    (project / "snippets/activations/broken.py").write_text(BROKEN_JOB)
    page_ko = project / "docs/activations/gelu.ko.md"
    edit(page_ko, "## 정의와 구현", "실패 확인용 값: {{ broken-job.x }}\n\n## 정의와 구현")
    server = Server(project, cache)
    try:
        assert server.wait_for_summary(1) == (0, N, 1)
        server.wait_for_build_done(1)
        status, body = server.get("/activations/gelu/")
        html = body.decode()
        assert status == 200
        assert "빌드 작업 실패: broken-job" in html
        assert "RuntimeError: synthetic failure for the test" in html
        assert server.get("/en/activations/gelu/")[0] == 200  # the rest of the site is up
        before = server.get("/assets/figures/gelu-activations.light.svg")[1]

        # Prose only: nothing runs (the failed job is remembered, not retried).
        edit(project / "docs/activations/gelu.en.md", "A small experiment", "A small, real experiment")
        assert server.wait_for_summary(2) == (0, N, 1)
        server.wait_for_build_done(2)
        assert b"A small, real experiment" in server.get("/en/activations/gelu/")[1]

        # One module: exactly the jobs that import it run again (the three figure jobs).
        edit(project / "snippets/activations/gelu_figures.py", 'linewidth=2.2 if name == "GELU"',
                   'linewidth=3.0 if name == "GELU"')
        assert server.wait_for_summary(3) == (3, N - 3, 1)
        ran = "".join(server.lines[-40:])
        assert re.search(r"running 3 job\(s\): gelu-activations .*gelu-approx-error .*gelu-derivatives", ran)
        server.wait_for_build_done(3)
        after = server.get("/assets/figures/gelu-activations.light.svg")[1]
        assert after.startswith(b"<?xml") and after != before

        # Fixing the failed job's module runs it again and the error box goes away.
        (project / "snippets/activations/broken.py").write_text(
            BROKEN_JOB.replace('raise RuntimeError("synthetic failure for the test")', 'return {"x": 42}'))
        assert server.wait_for_summary(4) == (1, N, 0)
        server.wait_for_build_done(4)
        html = server.get("/activations/gelu/")[1].decode()
        assert "빌드 작업 실패" not in html and "실패 확인용 값: 42" in html
    finally:
        server.stop()


def test_snippets_settings_must_match_the_notebooks(site_copy, tmp_path):
    project, cache = site_copy
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("dedent_subsections: true", "dedent_subsections: false"))
    result = mkdocs_build(project, tmp_path / "site", cache)
    assert result.returncode != 0
    assert "but the notebooks expand listings with" in result.stdout + result.stderr
