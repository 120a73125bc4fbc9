"""Build lanes: stale jobs run in several worker processes at once, in the order their needs
allow, with the same results as one worker."""

import json
import os
import re
import time
from pathlib import Path

import pytest

from snippets.build import runner
from snippets.build.cache import Cache
from snippets.build.jobs import JobSpec

SLEEPERS = {
    "sleepers.py": """
        import time

        from snippets.build import values

        @values("sleep-a", page="t/s")
        def sleep_a():
            start = time.time()
            time.sleep(1.5)
            return {"start": start, "end": time.time(), "pid": __import__("os").getpid()}

        @values("sleep-b", page="t/s")
        def sleep_b():
            start = time.time()
            time.sleep(1.5)
            return {"start": start, "end": time.time(), "pid": __import__("os").getpid()}
        """,
}


@pytest.fixture(autouse=True)
def fresh_process_state(monkeypatch):
    """Failures are remembered per process by (job id, key), and keys do not depend on the
    temporary folder: start every test with none remembered and with the default lanes."""
    monkeypatch.setattr(runner, "_failed_before", {})
    monkeypatch.delenv(runner.LANES_ENV, raising=False)


def build(pkg, cache="cache", **kw):
    lines = []
    result = runner.ensure(package_dir=pkg, cache=Cache(pkg.parent / cache), log=lines.append, **kw)
    result.log = lines
    return result


def overlap(a: dict, b: dict) -> float:
    return min(a["end"], b["end"]) - max(a["start"], b["start"])


def test_two_lanes_run_independent_jobs_at_the_same_time(project, monkeypatch):
    monkeypatch.setenv(runner.LANES_ENV, "2")
    result = build(project(SLEEPERS))
    assert runner.SUMMARY.search(result.summary()).groups()[:3] == ("2", "0", "0")
    a, b = result.values("sleep-a"), result.values("sleep-b")
    assert a["pid"] != b["pid"]  # two worker processes
    assert overlap(a, b) > 1.0  # they slept at the same time
    assert result.seconds < 2.6, result.seconds  # one sleep and some start-up, not two sleeps (3 s)
    assert "(2 at a time)" in result.log[0]
    assert any(line.startswith("job sleep-a (t/s) done in 1.") for line in result.log)


def test_one_lane_runs_jobs_one_after_the_other(project, monkeypatch):
    monkeypatch.setenv(runner.LANES_ENV, "1")
    result = build(project(SLEEPERS))
    a, b = result.values("sleep-a"), result.values("sleep-b")
    assert a["pid"] == b["pid"] and overlap(a, b) < 0
    assert result.seconds >= 3.0 and "at a time" not in result.log[0]


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_bad_lane_count_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv(runner.LANES_ENV, value)
    with pytest.raises(ValueError, match="MODEL_NOTES_BUILD_JOBS must be a whole number of at least 1"):
        runner.lane_count()


def test_default_lane_count(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert runner.lane_count() == 2
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert runner.lane_count() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert runner.lane_count() == 1


CHAIN = {
    "chain.py": """
        import time
        from pathlib import Path

        from snippets.build import output, values

        @values("first", page="t/c")
        def first():
            time.sleep(0.5)  # the second lane is idle meanwhile: it must still wait
            return {"v": 41, "end": time.time()}

        @values("second", page="t/c", needs=("first",))
        def second(first):
            return {"got": first["v"] + 1, "start": time.time()}

        @output("third", page="t/c", needs=("second",))
        def third(second):
            print("third sees", second["got"])

        @values("bad", page="t/c")
        def bad():
            raise RuntimeError("bad on purpose")

        @values("after-bad", page="t/c", needs=("bad",))
        def after_bad(bad):
            (Path(__file__).parent / "after-bad-ran").write_text("it ran")
            return {}

        @output("after-after-bad", page="t/c", needs=("after-bad",))
        def after_after_bad(after_bad):
            print("nor this")
        """,
}


def test_a_job_runs_after_what_it_needs_and_gets_its_values(project, monkeypatch):
    monkeypatch.setenv(runner.LANES_ENV, "2")
    pkg = project(CHAIN)
    result = build(pkg)
    assert result.values("second")["got"] == 42
    assert result.values("second")["start"] >= result.values("first")["end"]
    assert result.output("third") == "third sees 42\n"
    # a need that failed: its dependants fail without running, and so do theirs
    assert {j: result.results[j].status for j in ("bad", "after-bad", "after-after-bad")} == \
        {"bad": "failed", "after-bad": "failed", "after-after-bad": "failed"}
    assert "RuntimeError: bad on purpose" in result.results["bad"].error
    assert result.results["after-bad"].error == "not run: the job it needs failed: bad"
    assert result.results["after-after-bad"].error == "not run: the job it needs failed: after-bad"
    assert not (pkg / "after-bad-ran").exists()
    assert result.summary().startswith("jobs: 3 run, 0 cached, 3 failed")
    # the next build in this process remembers the failures and runs nothing
    again = build(pkg)
    assert again.summary().startswith("jobs: 0 run, 3 cached, 3 failed")
    assert again.results["after-bad"].error == "not run: the job it needs failed: bad"


def test_a_job_whose_need_is_cached_runs_at_once(project, monkeypatch):
    monkeypatch.setenv(runner.LANES_ENV, "2")
    pkg = project(CHAIN)
    build(pkg, only=["third"])
    result = build(pkg, only=["third"], force=["second"])
    assert {j: r.status for j, r in result.results.items()} == {"first": "cached", "second": "run",
                                                                  "third": "cached"}
    assert result.values("second")["got"] == 42


DETERMINISTIC = {
    "rng.py": """
        import random

        import numpy as np
        from matplotlib.figure import Figure

        from snippets.build import figure, output, values

        @values("draws", page="t/r")
        def draws():
            random.random()  # leaves the generators elsewhere than a fresh seed would
            return {"py": random.random(), "np": np.random.rand(3)}

        @output("more-draws", page="t/r", needs=("draws",))
        def more_draws(draws):
            print(random.random(), np.random.rand(2), draws["py"])

        @figure("noise", page="t/r")
        def noise(theme):
            fig = Figure(figsize=(2, 2))
            fig.subplots().plot(np.random.rand(20))
            return fig

        @output("late", page="t/r")
        def late():
            print(np.random.randint(0, 1000, 5))
        """,
}


def test_one_and_two_lanes_write_the_same_files(project, monkeypatch):
    pkg = project(DETERMINISTIC)
    monkeypatch.setenv(runner.LANES_ENV, "1")
    one = build(pkg, cache="cache-1")
    monkeypatch.setenv(runner.LANES_ENV, "2")
    two = build(pkg, cache="cache-2")
    assert not one.failures and not two.failures, runner.failure_message(one) + runner.failure_message(two)
    assert "(2 at a time)" in two.log[0]
    compared = 0
    for job_id, r in one.results.items():
        assert two.results[job_id].key == r.key
        for path in r.folder.iterdir():
            if path.name != "manifest.json":  # holds the seconds
                assert (two.results[job_id].folder / path.name).read_bytes() == path.read_bytes(), (job_id, path)
                compared += 1
    assert compared == 7  # three values, and a figure in four variants


CRASH = {
    "crash.py": """
        import os

        from snippets.build import values

        @values("a-crash", page="t/x")
        def crash():
            os._exit(3)

        @values("b-fine", page="t/x")
        def fine():
            return {"ok": True}

        @values("c-fine", page="t/x")
        def fine_too():
            return {"ok": True}
        """,
}


def test_a_worker_that_dies_fails_its_job_and_a_new_worker_runs_the_rest(project, monkeypatch):
    monkeypatch.setenv(runner.LANES_ENV, "1")
    pkg = project(CRASH)
    result = build(pkg)
    assert result.results["a-crash"].error == "the worker process exited with code 3 before finishing this job"
    assert result.results["b-fine"].status == result.results["c-fine"].status == "run"


def test_a_job_past_its_time_limit_is_stopped_and_the_others_still_run(project, monkeypatch):
    monkeypatch.setenv(runner.LANES_ENV, "1")
    pkg = project({"hang.py": """
        import time

        from snippets.build import values

        @values("a-hang", page="t/h", timeout=1.5)
        def hang():
            time.sleep(120)

        @values("b-after", page="t/h")
        def after():
            return {"ok": True}
        """})
    result = build(pkg)
    assert result.seconds < 30
    error = result.results["a-hang"].error
    assert "job 'a-hang'" in error and "hang.py:5) ran past its time limit of 1.5 s and was stopped" in error
    assert result.results["b-after"].status == "run"
    # remembered like any failure: saving prose under `make serve` does not run it again
    again = build(pkg)
    assert again.results["a-hang"].status == "failed" and again.seconds < 5


def test_with_two_lanes_the_other_worker_carries_on(project, monkeypatch):
    monkeypatch.setenv(runner.LANES_ENV, "2")
    result = build(project(CRASH))
    assert result.results["a-crash"].error == "the worker process exited with code 3 before finishing this job"
    assert result.results["b-fine"].status == result.results["c-fine"].status == "run"


def test_stray_writes_to_stdout_do_not_break_the_protocol(project, monkeypatch):
    monkeypatch.setenv(runner.LANES_ENV, "2")
    pkg = project({"noisy.py": """
        import os
        import sys

        from snippets.build import values

        @values("noisy", page="t/n")
        def noisy():
            print("a print")
            os.write(1, b"a write to file descriptor 1, as C code would\\n")
            sys.__stdout__.write("{not json\\n")
            sys.__stdout__.flush()
            return {"ok": 1}

        @values("quiet", page="t/n")
        def quiet():
            return {"ok": 2}
        """})
    result = build(pkg)
    assert not result.failures, runner.failure_message(result)
    assert result.values("noisy") == {"ok": 1}


def test_the_longest_known_job_starts_first(project, monkeypatch):
    monkeypatch.setenv(runner.LANES_ENV, "1")
    pkg = project({"order.py": """
        import time

        from snippets.build import values

        @values("a-short", page="t/o")
        def short():
            return {"start": time.time()}

        @values("b-long", page="t/o")
        def long():
            return {"start": time.time()}
        """})
    first = build(pkg, cache="cache-1")
    assert first.values("a-short")["start"] < first.values("b-long")["start"]  # topological order
    # an earlier run of b-long, under another key, took long: it goes first now
    old = pkg.parent / "cache-2" / "jobs" / "b-long" / "0ld"
    old.mkdir(parents=True)
    (old / "manifest.json").write_text(json.dumps({"seconds": 100.0}))
    again = build(pkg, cache="cache-2")
    assert again.values("b-long")["start"] < again.values("a-short")["start"]


def _wait_until_idle(background, timeout=30.0):
    end = time.monotonic() + timeout
    while background.thread is not None:
        assert time.monotonic() < end, "the background jobs did not end"
        time.sleep(0.05)


def test_in_the_background_stale_jobs_are_pending_at_once_and_run_once(project, monkeypatch):
    """`mkdocs serve`: a build returns before its stale jobs have run; a rebuild meanwhile (a
    writer saved prose) starts nothing again; once they have ended they count as run, until the
    summary has been reported."""
    monkeypatch.setenv(runner.LANES_ENV, "2")
    pkg, ended, lines = project(SLEEPERS), [], []
    background = runner.Background(on_end=lambda: ended.append(time.monotonic()), progress=lines.append)
    start = time.monotonic()
    first = build(pkg, background=background)
    assert time.monotonic() - start < 1.5  # each job sleeps 1.5 s
    assert first.count("pending") == 2 and first.summary().startswith("jobs: 0 run, 0 cached, 0 failed")
    again = build(pkg, background=background)
    assert again.count("pending") == 2
    assert [line for line in first.log + again.log if line.startswith("running ")] == [first.log[0]]
    _wait_until_idle(background)
    assert len(ended) == 2 and min(ended) - start > 1.4
    done = build(pkg, background=background)
    assert runner.SUMMARY.search(done.summary()).groups()[:3] == ("2", "0", "0")
    assert done.values("sleep-a")["pid"] != done.values("sleep-b")["pid"]
    assert any(re.fullmatch(r"build jobs: 1/2 done, running sleep-\w \(t/s\), time left unknown", x) for x in lines)
    assert lines[-1] == "build jobs: 2/2 done, running nothing, done"
    background.reported()
    assert runner.SUMMARY.search(build(pkg, background=background).summary()).groups()[:3] == ("0", "2", "0")


def test_in_the_background_a_failed_job_is_not_handed_over_again(project, monkeypatch):
    pkg = project(CHAIN)
    background = runner.Background()
    build(pkg, background=background, only=["bad"])
    _wait_until_idle(background)
    result = build(pkg, background=background, only=["bad"])
    assert result.count("failed") == 1 and "bad on purpose" in result.results["bad"].error
    assert background.thread is None


def test_time_left_lays_the_waiting_jobs_out_on_the_lanes(monkeypatch):
    """Each job's expected end: the running ones' known durations less what has passed, then the
    waiting ones, longest first, on whichever lane frees first and after their needs; unknown
    (None) once a duration on the way is unknown."""
    monkeypatch.setenv(runner.LANES_ENV, "2")
    needs = {"a": (), "b": (), "c": ("a",), "d": ()}
    jobs = {j: JobSpec(id=j, kind="values", module="m", function=j, path=Path("m.py"), line=1, page="p", needs=n)
            for j, n in needs.items()}
    background = runner.Background()
    background.plan = runner.Plan(jobs, {j: j + "-key" for j in jobs}, {}, ("ko", "en"))
    background.known = {"a": 100.0, "b": 30.0, "c": 10.0, "d": 0.0}
    background.batch = {j: j + "-key" for j in jobs}
    background.started = {"a": time.monotonic() - 40}
    etas = background.etas()
    assert 59 < etas["a"] <= 60 and etas["b"] == 30.0  # b on the idle lane
    assert 69 < etas["c"] <= 70  # on b's lane when b ends (30 s), but only once a has (60 s)
    assert etas["d"] is None  # never ran: no known duration
    assert background.progress_line() == "build jobs: 0/4 done, running a (p), time left unknown"
    background.focus = "q"  # the browser shows another page: the same order
    assert background.waiting() == ["b", "c", "d"]
