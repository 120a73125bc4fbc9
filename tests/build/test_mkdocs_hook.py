"""The MkDocs glue on the synthetic sample site (tests/sample_site.py): contract 5 (`mkdocs build`
fails loudly, `mkdocs serve` keeps serving with an error box), the writer's loop (saving a module
re-runs exactly the jobs importing it), and the checks of a strict build (every job's page
exists, every job is used)."""

from __future__ import annotations

import re
import time

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


SLOW = 12  # seconds the slow job sleeps: far longer than a warm build of the sample site


def use_slow_job(project, seconds: int = SLOW):
    """A values job that sleeps, named on the sample page in both languages; each run adds a line to
    ``slow-runs.txt`` at the project's root (where jobs run)."""
    add_job(project, "slow", '"slow-job", page="demo/sample"',
            f'    Path("slow-runs.txt").open("a").write("ran\\n")\n    time.sleep({seconds})\n    return {{"x": 42}}',
            imports="import time\nfrom pathlib import Path")
    edit(project / PAGE_KO, "## 코드", "느린 값: {{ slow-job.x }}\n\n## 코드")
    edit(project / PAGE_EN, "## Code", "Slow value: {{ slow-job.x }}\n\n## Code")


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
        mark = len(server.lines)
        edit(project / MODULE, "linewidth=2.0", "linewidth=3.0")
        assert server.wait_for_summary(3) == (4, N - 4, 1)
        ran = "".join(server.lines[mark:])
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


def test_serve_answers_before_a_slow_job_ends_and_fills_its_value_in(sample):
    """Under `mkdocs serve` the pages are served before the stale jobs have run, with a notice
    in each language where a result goes; a progress line tells the writer how far the jobs are;
    when the job ends the pages are built again with its result, and the summary line follows."""
    project, cache = sample
    use_slow_job(project)
    start = time.monotonic()
    server = Server(project, cache)
    try:
        server.wait_for_build_done(1, timeout=SLOW)
        ko, en = server.get("/demo/sample/"), server.get("/en/demo/sample/")
        assert time.monotonic() - start < SLOW  # served while the job still sleeps
        assert ko[0] == en[0] == 200
        assert "느린 값: <em>(계산하는 중)</em>" in ko[1].decode()  # it never ran: no time known
        assert "Slow value: <em>(still being computed)</em>" in en[1].decode()
        assert server.summaries() == []  # no summary while jobs run
        assert server.wait_for_summary(1, timeout=SLOW + 60) == (1, N, 0)
        server.wait_for_build_done(2)
        ko, en = server.get("/demo/sample/")[1].decode(), server.get("/en/demo/sample/")[1].decode()
        assert "느린 값: 42" in ko and "Slow value: 42" in en and "계산하는 중" not in ko
        out = "".join(server.lines)
        assert "build jobs: 0/1 done, running slow-job (demo/sample), time left unknown" in out
        assert "build jobs: 1/1 done, running nothing, done" in out
    finally:
        server.stop()


def test_saving_prose_while_a_job_runs_rebuilds_the_page_without_restarting_the_job(sample):
    project, cache = sample
    use_slow_job(project)
    server = Server(project, cache)
    try:
        server.wait_for_build_done(1, timeout=SLOW)
        edit(project / PAGE_EN, "The total is", "The sum is")
        server.wait_for_build_done(2, timeout=SLOW)  # rebuilt while the job sleeps
        en = server.get("/en/demo/sample/")[1].decode()
        assert "The sum is" in en and "Slow value: <em>(still being computed)</em>" in en
        assert server.wait_for_summary(1, timeout=SLOW + 60) == (1, N, 0)
        server.wait_for_build_done(3)
        assert "Slow value: 42" in server.get("/en/demo/sample/")[1].decode()
        assert (project / "slow-runs.txt").read_text() == "ran\n"  # started once
        assert sum(line.startswith("INFO") and "running 1 job(s)" in line for line in server.lines) == 1
    finally:
        server.stop()


def test_serve_runs_the_jobs_of_the_page_the_browser_shows_first(sample):
    """One lane, three jobs that sleep: the first starts at once; the browser then asks for a
    second article, so that article's job runs next, before the first article's other job."""
    project, cache = sample
    for lang, text in (("ko", "# 다른 글\n\n값: {{ slow-c.x }}\n"), ("en", "# Other\n\nValue: {{ slow-c.x }}\n")):
        (project / f"docs/demo/other.{lang}.md").write_text(text)
    jobs = (("slow_a", "demo/sample", 4), ("slow_b", "demo/sample", 1), ("slow_c", "demo/other", 1))
    for name, page, seconds in jobs:
        job = name.replace("_", "-")
        add_job(project, name, f'"{job}", page="{page}"', f'    time.sleep({seconds})\n    return {{"x": 1}}',
                imports="import time")
    edit(project / PAGE_KO, "## 코드", "{{ slow-a.x }} {{ slow-b.x }}\n\n## 코드")
    server = Server(project, cache, MODEL_NOTES_BUILD_JOBS="1")
    try:
        server.wait_for_build_done(1, timeout=4)
        assert server.get("/en/demo/other/")[0] == 200  # while slow-a sleeps
        assert server.wait_for_summary(1, timeout=60) == (3, N, 0)
        done = [m.group(1) for m in (re.search(r"job (slow-\w) \(\S+\) done in", line) for line in server.lines) if m]
        assert done == ["slow-a", "slow-c", "slow-b"], "".join(server.lines)
    finally:
        server.stop()
