"""Placeholders in pages: values, outputs, figures, and the errors writers get."""

from pathlib import Path

import pytest

from snippets.build.jobs import JobSpec
from snippets.build.pages import page_lang, render
from snippets.build.runner import BuildResult, JobResult


def spec(job_id, kind, fmt="svg"):
    params = {"format": fmt} if kind == "figure" else {}
    return JobSpec(id=job_id, kind=kind, module="snippets.m", function="f", path=Path("m.py"), line=1,
                   page="sec/page", params=params)


@pytest.fixture
def build(tmp_path):
    v = tmp_path / "v"
    v.mkdir()
    (v / "values.json").write_text('{"err": 0.000473, "n": 1347, "acc": 0.97555, "deep": {"k": -1.5}}')
    o = tmp_path / "o"
    o.mkdir()
    (o / "output.txt").write_text("x = 1\nprint(```)\n")
    f = tmp_path / "f"
    f.mkdir()
    results = {
        "nums": JobResult(spec("nums", "values"), "k1", "cached", 0.1, v),
        "out": JobResult(spec("out", "output"), "k2", "cached", 0.1, o),
        "fig": JobResult(spec("fig", "figure"), "k3", "run", 0.1, f),
        "heat": JobResult(spec("heat", "figure", "png"), "k4", "run", 0.1, f),
        "broken": JobResult(spec("broken", "values"), "k5", "failed", 0.1, None,
                            error="Traceback (most recent call last):\nRuntimeError: boom"),
    }
    return BuildResult(results, 0.2)


def test_values_are_formatted(build):
    r = render("a {{ nums.err:.2e }} b {{ nums.n:, }} c {{ nums.acc:.1% }} d {{ nums.deep.k }}",
               src_uri="sec/page.ko.md", build=build)
    assert r.errors == []
    assert r.markdown == "a 4.73e-04 b 1,347 c 97.6% d -1.5"
    assert r.jobs == {"nums"}


def test_latex_braces_are_left_alone(build):
    text = r"\(e^{{x}}\) and \frac{{a.b}}{2} and {{nums.err}}"
    assert render(text, src_uri="p.en.md", build=build).markdown == text


@pytest.mark.parametrize("text, message", [
    ("{{ nope.x }}", "unknown job 'nope'"),
    ("{{ nums.missing }}", "has no value 'missing' (it has: acc, deep, err, n)"),
    ("{{ nums.deep.k.z }}", "has no value 'deep.k.z'"),
    ("{{ out.x }}", "a output job, not a values job"),
    ("{{ what is this }}", "unknown placeholder"),
    ("{{ nums.err:%Q }}", "cannot format"),
    ("![alt](figure:nope)", "unknown job 'nope'"),
    ("![](figure:fig)", "figure 'fig' has no alt text"),
    ("{{ output nums }}", "a values job, not a output job"),
])
def test_writer_errors_are_reported(build, text, message):
    r = render(text, src_uri="sec/page.ko.md", build=build)
    assert len(r.errors) == 1 and message in r.errors[0] and "sec/page.ko.md" in r.errors[0]


def test_output_block_is_titled_in_the_page_language_and_fenced_safely(build):
    ko = render("{{ output out }}", src_uri="sec/page.ko.md", build=build).markdown
    en = render("{{ output out }}", src_uri="sec/page.en.md", build=build).markdown
    assert ko.startswith('````text title="출력"\nx = 1\n')
    assert en.startswith('````text title="Output"\n')
    assert ko.endswith("\n````")


def test_figures_expand_to_light_and_dark_relative_to_the_page(build):
    md = render("![곡선](figure:fig)\n\n![map](figure:heat)", src_uri="activations/gelu.ko.md", build=build).markdown
    assert "![곡선](../assets/figures/fig.light.svg#only-light){ .figure }" in md
    assert "![곡선](../assets/figures/fig.dark.svg#only-dark){ .figure }" in md
    assert "../assets/figures/heat.dark.png#only-dark" in md
    top = render("![a](figure:fig)", src_uri="index.en.md", build=build).markdown
    assert "(assets/figures/fig.light.svg#only-light)" in top


def test_failed_job_becomes_an_error_box_with_the_traceback(build):
    r = render("# Title\n\nvalue {{ broken.x }}", src_uri="sec/page.en.md", build=build)
    assert r.errors == [] and r.failed_jobs == ["broken"]
    assert '!!! failure "Build job failed: broken (sec/page)"' in r.markdown
    assert "    RuntimeError: boom" in r.markdown
    assert "**⚠ computation failed: broken**" in r.markdown
    assert r.markdown.index("# Title") < r.markdown.index("!!! failure")


def test_page_language_from_suffix():
    assert page_lang("a/b.en.md") == "en" and page_lang("a/b.ko.md") == "ko" and page_lang("index.md") == "ko"


def test_tex_filter_writes_powers_of_ten(build):
    r = render(r"\({{ nums.err:.2e|tex }}\) {{ nums.n:.1e|tex }} {{ nums.deep.k:.1f|tex }}",
               src_uri="p.en.md", build=build)
    assert r.errors == []
    assert r.markdown == r"\(4.73 \times 10^{-4}\) 1.3 \times 10^{3} -1.5"
    assert "unknown filter 'bogus'" in render("{{ nums.err|bogus }}", src_uri="p.en.md", build=build).errors[0]
