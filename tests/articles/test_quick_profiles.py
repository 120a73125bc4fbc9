"""Every build job of every article, run in its quick profile (``quick=`` in its decorator: fewer
epochs, smaller sizes), as timm's tests run every registered model. An article's jobs are tested
the moment they are declared; the full build's numbers are checked by each article's claims tests.

The quick build runs through the real runner and workers, into a cache of its own, so the
figures are drawn in every variant exactly as in a real build.
"""

from __future__ import annotations

import re
import shutil

import pytest

from snippets.build import runner
from snippets.build.cache import Cache

PLAN = runner.make_plan(quick=True)  # reads the source only: cheap at collection time
QUICK_SECONDS = 30  # what a quick profile may take; a job above it needs (a smaller) one
HANGUL = re.compile(r"[가-힣]")
MEASURED = re.compile(r"-(cost|timing)$")  # jobs whose files hold a measured duration (DESIGN.md, contract 4)


@pytest.fixture(scope="module")
def quick_build(tmp_path_factory):
    cache = Cache(tmp_path_factory.mktemp("quick") / "cache")
    return runner.ensure(quick=True, cache=cache, log=lambda line: None), cache


@pytest.mark.parametrize("job_id", sorted(PLAN.jobs))
def test_job_runs_in_its_quick_profile(quick_build, job_id):
    build, _ = quick_build
    r = build.results[job_id]
    assert r.status == "run", runner.failure_message(build) if r.status == "failed" else r.status
    assert r.seconds < QUICK_SECONDS, f"{job_id} ({r.spec.where}) took {r.seconds:.1f} s: give it a quick profile"
    for name in r.spec.artifacts:
        assert r.artifact(name).stat().st_size > 0, name
    if r.spec.kind == "figure":
        for theme in ("light", "dark"):
            ko, en = r.artifact(f"ko-{theme}.{r.spec.format}"), r.artifact(f"en-{theme}.{r.spec.format}")
            if r.spec.format == "svg":  # matplotlib writes each text of an SVG as a comment
                assert HANGUL.search(" ".join(re.findall(r"<!-- (.*?) -->", ko.read_text()))), ko
                assert not HANGUL.search(en.read_text()), en
            else:
                assert ko.read_bytes() != en.read_bytes()  # the words are the only difference


def test_quick_results_never_stand_for_full_ones():
    """Every job keeps its declared quick profile in the plan, and a quick result has a key of its
    own, so a test's quick run can never be taken for the site's full one."""
    full = runner.make_plan()
    for job_id, spec in PLAN.jobs.items():
        assert full.jobs[job_id].quick == spec.quick
        assert PLAN.keys[job_id] != full.keys[job_id]


def test_figures_and_outputs_are_byte_identical_when_rerun(quick_build, tmp_path):
    """Contract 4 on the site's own jobs: the same inputs give the same bytes (fixed seeds, no
    stamps), whichever worker runs the job and after what."""
    build, cache = quick_build
    again_cache = Cache(tmp_path / "cache")
    shutil.copytree(cache.root, again_cache.root)
    drawn = [j for j, r in build.results.items() if r.spec.kind in ("figure", "output") and not MEASURED.search(j)]
    again = runner.ensure(quick=True, only=drawn, force=drawn, cache=again_cache, log=lambda line: None)
    assert not again.failures, runner.failure_message(again)
    differ = [f"{j}/{name}" for j in drawn for name in build.results[j].spec.artifacts
              if again.results[j].artifact(name).read_bytes() != build.results[j].artifact(name).read_bytes()]
    assert differ == []
