"""The MkDocs glue on the synthetic sample site (tests/sample_site.py): contract 5 (`mkdocs build`
fails loudly, `mkdocs serve` keeps serving with an error box), the writer's loop (saving a module
re-runs exactly the jobs importing it), and the checks of a strict build (every job's page
exists, every job is used)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SUMMARY, Server, edit, mkdocs_build
from tests.sample_site import FIGURE_JOB, MODULE, PAGE_EN, PAGE_KO

pytestmark = pytest.mark.slow

N = 4  # the sample site's jobs: three declared, one notebook

BROKEN_JOB = '''
from snippets.build import values


@values("broken-job", page="demo/sample")
def broken():
    raise RuntimeError("synthetic failure for the test")
'''


def build(sample, tmp_path):
    project, cache = sample
    result = mkdocs_build(project, tmp_path / "site", cache)
    return result, result.stdout + result.stderr


def add_job(project, name: str, declaration: str, body: str, imports: str = "") -> None:
    """A job module ``snippets/articles/demo/<name>.py`` with one values job; its decorator is on line 4
    (line 6 with ``imports``)."""
    head = f"{imports}\n\n" if imports else ""
    (project / f"snippets/articles/demo/{name}.py").write_text(
        f"{head}from snippets.build import values\n\n\n@values({declaration})\ndef {name}():\n{body}\n")


def use_broken_job(project):
    """Make the sample page use the broken job, so only its failure is reported."""
    edit(project / PAGE_KO, "## 코드", "실패 확인용 값: {{ broken-job.x }}\n\n## 코드")


def test_a_warm_build_runs_nothing(sample, tmp_path):
    result, out = build(sample, tmp_path)
    assert result.returncode == 0, out
    assert SUMMARY.search(out).groups()[:3] == ("0", str(N), "0")


def test_failed_job_fails_the_build_naming_job_article_and_exception(sample, tmp_path):
    project, _ = sample
    (project / "snippets/articles/demo/broken.py").write_text(BROKEN_JOB)
    use_broken_job(project)
    result, out = build(sample, tmp_path)
    assert result.returncode != 0
    assert "build job 'broken-job' for article 'demo/sample' failed" in out
    assert "RuntimeError: synthetic failure for the test" in out
    assert "broken.py" in out  # the traceback points at the job's code
    assert SUMMARY.search(out).groups()[:3] == ("0", str(N), "1")  # the other jobs came from the cache


def test_unknown_placeholder_fails_the_build(sample, tmp_path):
    project, _ = sample
    page = project / PAGE_EN
    page.write_text(page.read_text() + "\nThe answer is {{ sample-numbers.no_such_value }}.\n")
    result, out = build(sample, tmp_path)
    assert result.returncode != 0
    assert "demo/sample.en.md" in out and "has no value 'no_such_value'" in out


def test_a_job_naming_no_page_fails_the_build_with_its_module_and_line(sample, tmp_path):
    project, _ = sample
    add_job(project, "lost", '"lost-job", page="demo/no-such-page"', "    return {}")
    result, out = build(sample, tmp_path)
    assert result.returncode != 0
    assert re.search(r"snippets/articles/demo/lost\.py:4: job 'lost-job' names page 'demo/no-such-page', "
                     r"but there is no such page", out), out


def test_a_job_no_page_uses_fails_a_strict_build(sample, tmp_path):
    project, _ = sample
    add_job(project, "spare", '"spare-job", page="demo/sample"', '    return {"x": 1}')
    result, out = build(sample, tmp_path)
    assert result.returncode != 0
    assert "build jobs that no page uses" in out
    assert re.search(r"spare-job \(\S*snippets/articles/demo/spare\.py:4, page='demo/sample'\)", out), out
    # used on a page, it is fine
    edit(project / PAGE_KO, "## 코드", "값: {{ spare-job.x }}\n\n## 코드")
    result, out = build(sample, tmp_path)
    assert result.returncode == 0, out


def test_a_job_past_its_time_limit_is_stopped_and_fails_naming_itself(sample, tmp_path):
    project, _ = sample
    add_job(project, "slow", '"slow-job", page="demo/sample", timeout=2', '    time.sleep(60)\n    return {"x": 1}',
            imports="import time")
    edit(project / PAGE_KO, "## 코드", "값: {{ slow-job.x }}\n\n## 코드")
    result, out = build(sample, tmp_path)
    assert result.returncode != 0
    assert re.search(r"job 'slow-job' \(\S*slow\.py:6\) ran past its time limit of 2 s and was stopped", out), out


def test_serve_keeps_serving_shows_errors_and_reruns_only_what_changed(sample):
    project, cache = sample
    (project / "snippets/articles/demo/broken.py").write_text(BROKEN_JOB)
    use_broken_job(project)
    server = Server(project, cache)
    try:
        assert server.wait_for_summary(1) == (0, N, 1)
        server.wait_for_build_done(1)
        status, body = server.get("/demo/sample/")
        html = body.decode()
        assert status == 200
        assert "빌드 작업 실패: broken-job" in html
        assert "RuntimeError: synthetic failure for the test" in html
        assert server.get("/en/demo/sample/")[0] == 200  # the rest of the site is up
        figure = f"/assets/figures/{FIGURE_JOB}.ko-light.svg"
        before = server.get(figure)[1]

        # Prose only: nothing runs (the failed job is remembered, not retried).
        edit(project / PAGE_EN, "The total is", "The sum is")
        assert server.wait_for_summary(2) == (0, N, 1)
        server.wait_for_build_done(2)
        assert b"The sum is" in server.get("/en/demo/sample/")[1]

        # One module: exactly the jobs it declares run again, and the article's notebook, whose
        # download carries that module (its cells that redraw the figures import it).
        edit(project / MODULE, "linewidth=2.0", "linewidth=3.0")
        assert server.wait_for_summary(3) == (4, N - 4, 1)
        ran = "".join(server.lines[-40:])
        assert re.search(r"running 4 job\(s\): ", ran) and FIGURE_JOB in ran and "notebook-demo-sample" in ran
        server.wait_for_build_done(3)
        after = server.get(figure)[1]
        assert after.startswith(b"<?xml") and after != before

        # Fixing the failed job's module runs it again and the error box goes away.
        (project / "snippets/articles/demo/broken.py").write_text(
            BROKEN_JOB.replace('raise RuntimeError("synthetic failure for the test")', 'return {"x": 42}'))
        assert server.wait_for_summary(4) == (1, N, 0)
        server.wait_for_build_done(4)
        html = server.get("/demo/sample/")[1].decode()
        assert "빌드 작업 실패" not in html and "실패 확인용 값: 42" in html
    finally:
        server.stop()


def test_snippets_settings_must_match_the_notebooks(sample, tmp_path):
    project, _ = sample
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("dedent_subsections: true", "dedent_subsections: false"))
    result, out = build(sample, tmp_path)
    assert result.returncode != 0
    assert "but the notebooks expand listings with" in out
