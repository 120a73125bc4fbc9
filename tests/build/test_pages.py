"""Placeholders in pages: values, outputs, figures, and the errors writers get."""

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from snippets.build import pages
from snippets.build.jobs import JobSpec
from snippets.build.languages import languages, split_page_file
from snippets.build.runner import BuildResult, JobResult


def render(text: str, *, src_uri: str, **kw):
    """Render as the hook does, in the language of the page's file name."""
    return pages.render(text, src_uri=src_uri, lang=src_uri.split(".")[-2], **kw)


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
    for variant in ("ko-light", "ko-dark", "en-light", "en-dark"):  # 300 x 150 pt = 400 x 200 px
        (f / f"{variant}.svg").write_text('<svg width="300pt" height="150pt" viewBox="0 0 300 150"></svg>')
        (f / f"{variant}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + (640).to_bytes(4, "big")
                                           + (480).to_bytes(4, "big") + b"\x08\x06\0\0\0")
    flags = tmp_path / "flags"
    flags.mkdir()
    (flags / "values.json").write_text('{"found": true, "none": false, "count": 0, "model": {"name": "deit"}}')
    results = {
        "flags": JobResult(spec("flags", "values"), "k6", "cached", 0.1, flags),
        "nums": JobResult(spec("nums", "values"), "k1", "cached", 0.1, v),
        "out": JobResult(spec("out", "output"), "k2", "cached", 0.1, o),
        "fig": JobResult(spec("fig", "figure"), "k3", "run", 0.1, f),
        "heat": JobResult(spec("heat", "figure", "png"), "k4", "run", 0.1, f),
        "broken": JobResult(spec("broken", "values"), "k5", "failed", 0.1, None,
                            error="Traceback (most recent call last):\nRuntimeError: boom"),
    }
    return BuildResult(results, 0.2, ("ko", "en"))


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
    assert ko.startswith('````{ .text .output title="출력" }\nx = 1\n')
    assert en.startswith('````{ .text .output title="Output" }\n')
    assert ko.endswith("\n````")


def test_figures_expand_to_light_and_dark_relative_to_the_page(build):
    md = render("![곡선](figure:fig)\n\n![map](figure:heat)", src_uri="activations/gelu.ko.md", build=build).markdown
    # each <img> carries its file's size, so the browser reserves the space before the file arrives
    assert "![곡선](../assets/figures/fig.ko-light.svg#only-light){ .figure width=400 height=200 }" in md
    assert "![곡선](../assets/figures/fig.ko-dark.svg#only-dark){ .figure width=400 height=200 }" in md
    assert "../assets/figures/heat.ko-dark.png#only-dark){ .figure width=640 height=480 }" in md
    top = render("![a](figure:fig)", src_uri="index.en.md", build=build).markdown
    assert "(assets/figures/fig.en-light.svg#only-light)" in top  # the English page shows the English drawing


def test_failed_job_becomes_an_error_box_with_the_traceback(build):
    r = render("# Title\n\nvalue {{ broken.x }}", src_uri="sec/page.en.md", build=build)
    assert r.errors == [] and r.failed_jobs == ["broken"]
    assert '!!! failure "Build job failed: broken (sec/page)"' in r.markdown
    assert "    RuntimeError: boom" in r.markdown
    assert "**⚠ computation failed: broken**" in r.markdown
    assert r.markdown.index("# Title") < r.markdown.index("!!! failure")


def test_page_files_name_their_language():
    assert split_page_file("a/b.en.md", ("ko", "en")) == ("a/b", "en")
    assert split_page_file("index.ko.md", ("ko", "en")) == ("index", "ko")
    assert split_page_file("index.md", ("ko", "en")) is None


def test_languages_come_from_mkdocs_yml(tmp_path):
    from tests.conftest import REPO

    assert languages(REPO) == ("ko", "en")
    (tmp_path / "mkdocs.yml").write_text("site_url: !ENV [X, 'y']\nplugins:\n  - search\n  - i18n:\n"
                                         "      languages:\n        - locale: en\n        - locale: de\n"
                                         "          default: true\n")
    assert languages(tmp_path) == ("de", "en")  # the default first
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "mkdocs.yml").write_text("plugins:\n  - search\n")
    with pytest.raises(ValueError, match="expected the i18n plugin"):
        languages(tmp_path / "other")


def test_every_ui_string_has_every_language():
    from snippets.build import ui
    from tests.conftest import REPO

    for key, entry in ui.TEXT.items():
        assert set(entry) == set(languages(REPO)), key


def test_a_block_placeholder_keeps_the_indentation_of_its_line(build):
    md = render('!!! note "N"\n\n    {{ output out }}\n\n    ![a](figure:fig)\n', src_uri="sec/page.en.md",
                build=build).markdown
    body = md.split("\n")[2:]
    assert body[0].startswith("    ```") and all(line.startswith("    ") for line in body if line), md
    assert "    ![a](../assets/figures/fig.en-dark.svg#only-dark)" in md


def test_tex_filter_writes_powers_of_ten(build):
    r = render(r"\({{ nums.err:.2e|tex }}\) {{ nums.n:.1e|tex }} {{ nums.deep.k:.1f|tex }}",
               src_uri="p.en.md", build=build)
    assert r.errors == []
    assert r.markdown == r"\(4.73 \times 10^{-4}\) 1.3 \times 10^{3} -1.5"
    assert "unknown filter 'bogus'" in render("{{ nums.err|bogus }}", src_uri="p.en.md", build=build).errors[0]
    from snippets.build.pages import _tex_number

    assert [_tex_number(t) for t in ("0.0e+00", "-0.00e+00", "2.5e+00", "1.0e-07")] == [
        "0", "0", "2.5", r"1.0 \times 10^{-7}"]


BLOCK_PAGE = """# Title

{{ if %s }}
Pretrained: {{ nums.n }}

![map](figure:fig)
{{ else }}
No weights were found.

{{ output out }}
{{ end }}

After."""


@pytest.mark.parametrize("condition, shown", [
    ("flags.found", True), ("flags.none", False), ("flags.count", False), ("flags.model.name", True),
    ("not flags.found", False), ("not flags.none", True),
])
def test_if_block_shows_one_part_and_uses_only_its_jobs(build, condition, shown):
    r = render(BLOCK_PAGE % condition, src_uri="sec/page.en.md", build=build)
    assert r.errors == []
    assert "{{" not in r.markdown and r.markdown.startswith("# Title\n\n") and r.markdown.endswith("\n\nAfter.")
    if shown:
        assert "Pretrained: 1347" in r.markdown and "fig.en-light.svg" in r.markdown and "No weights" not in r.markdown
        assert r.jobs == {"flags", "nums", "fig"}
    else:
        assert "Pretrained" not in r.markdown and "No weights were found." in r.markdown and "x = 1" in r.markdown
        assert r.jobs == {"flags", "out"}


def test_a_page_names_the_jobs_of_both_parts_of_a_block(build):
    r = render(BLOCK_PAGE % "flags.found", src_uri="sec/page.en.md", build=build)
    assert r.named == {"flags", "nums", "fig", "out"} and "out" not in r.jobs


def test_if_block_without_else(build):
    text = "a\n{{ if flags.found }}\nyes\n{{ end }}\nb\n  {{ if flags.none }}\n  no\n  {{ end }}\nc"
    r = render(text, src_uri="sec/page.ko.md", build=build)
    assert r.errors == [] and r.markdown == "a\nyes\nb\nc"


def test_if_block_on_a_failed_job_shows_the_failure_and_neither_part(build):
    r = render("# Title\n\n{{ if broken.x }}\nyes {{ nums.n }}\n{{ else }}\nno\n{{ end }}\n", src_uri="sec/page.en.md",
               build=build)
    assert r.errors == [] and r.failed_jobs == ["broken"] and r.jobs == {"broken"}
    assert '!!! failure "Build job failed: broken (sec/page)"' in r.markdown
    assert "**⚠ computation failed: broken**" in r.markdown
    assert "yes" not in r.markdown and "no\n" not in r.markdown


@pytest.mark.parametrize("text, message", [
    ("x\n{{ if flags.found }}\n{{ if flags.none }}\nz\n{{ end }}\n{{ end }}",
     "line 3: {{ if }} inside the {{ if }} of line 2: blocks do not nest"),
    ("x\n{{ if flags.found }}\ny", "line 2: {{ if }} without {{ end }}"),
    ("x\n{{ else }}\ny", "line 2: {{ else }} without an open {{ if }}"),
    ("x\n\n{{ end }}", "line 3: {{ end }} without an open {{ if }}"),
    ("{{ if flags.found }}\n{{ else }}\n{{ else }}\n{{ end }}",
     "line 3: a second {{ else }} in the {{ if }} of line 1"),
    ("{{ if flags.found }}\n{{ end flags.found }}", "line 2: {{ end }} takes nothing after it"),
    ("{{ if nope.x }}\n{{ end }}", "line 1: {{ if nope.x }} names unknown job 'nope'"),
    ("{{ if flags.missing }}\n{{ end }}", "line 1: {{ if flags.missing }}: job 'flags' has no value 'missing'"),
    ("{{ if out.x }}\n{{ end }}", "a output job, not a values job"),
    ("{{ if }}\n{{ end }}", "expected {{ if job-id.key }} or {{ if not job-id.key }}"),
    ("see {{ if flags.found }} here", "must each stand on a line of their own"),
])
def test_block_errors_name_the_page_and_line(build, text, message):
    r = render(text, src_uri="sec/page.ko.md", build=build)
    assert len(r.errors) == 1 and message in r.errors[0] and r.errors[0].startswith("sec/page.ko.md: "), r.errors


def test_block_errors_count_lines_from_the_first_line_of_the_file(build):
    r = render("a\n{{ if flags.found }}", src_uri="sec/page.ko.md", build=build, first_line=5)
    assert r.errors == ["sec/page.ko.md: line 6: {{ if }} without {{ end }}"]
    assert "{{" not in r.markdown  # the block lines are gone, every part is shown


def test_notice_goes_under_the_title_after_the_failure_boxes(build):
    md = render("# T\n\n{{ broken.x }}", src_uri="sec/page.en.md", build=build, notice="NOTICE").markdown
    assert md.index("# T") < md.index("!!! failure") < md.index("NOTICE") < md.index("computation failed")
    assert render("# T\n\nbody", src_uri="sec/page.en.md", build=build, notice="NOTICE").markdown == \
        "# T\n\nNOTICE\n\n\nbody"


def test_hook_counts_block_lines_in_the_page_file(build, monkeypatch):
    from mkdocs.exceptions import PluginError
    from mkdocs.utils.meta import get_data

    from snippets.build import mkdocs_hook

    raw = '---\ndescription: "x"\n---\n\n# T\n\n{{ if flags.found }}\n'
    markdown, _ = get_data(raw)  # what MkDocs hands the hook: the front matter cut off
    page = SimpleNamespace(file=SimpleNamespace(src_uri="sec/page.en.md", content_string=raw))
    monkeypatch.setitem(mkdocs_hook.session, "build", build)
    monkeypatch.setitem(mkdocs_hook.session, "command", "build")
    with pytest.raises(PluginError, match=r"^sec/page.en.md: line 7: \{\{ if \}\} without \{\{ end \}\}$"):
        mkdocs_hook.on_page_markdown(markdown, page, SimpleNamespace(docs_dir="docs"), None)


def test_figure_attributes_go_to_both_variants(build):
    md = render("![곡선](figure:fig){ .thumbnail loading=lazy }", src_uri="index.ko.md", build=build).markdown
    assert md.splitlines() == [
        "![곡선](assets/figures/fig.ko-light.svg#only-light){ .figure .thumbnail loading=lazy width=400 height=200 }",
        "![곡선](assets/figures/fig.ko-dark.svg#only-dark){ .figure .thumbnail loading=lazy width=400 height=200 }"]


def test_reading_time_names_the_minutes_of_another_page(build, tmp_path):
    docs = tmp_path / "docs"
    (docs / "sec").mkdir(parents=True)
    (docs / "sec" / "page.en.md").write_text("# Title\n\n" + "word " * 400)
    (docs / "sec" / "page.ko.md").write_text("# 제목\n\n" + "낱말 " * 448)  # 3 minutes in both languages
    md = render("About {{ reading_time sec/page }} min", src_uri="index.en.md", build=build, docs_dir=docs)
    assert md.errors == [] and md.markdown == "About 3 min"  # 402 words at 180 a minute, 450 at 150
    missing = render("{{ reading_time sec/none }}", src_uri="index.en.md", build=build, docs_dir=docs)
    assert len(missing.errors) == 1 and "sec/none.ko.md" in missing.errors[0]
    no_docs = render("{{ reading_time sec/page }}", src_uri="index.en.md", build=build)
    assert len(no_docs.errors) == 1 and "docs folder" in no_docs.errors[0]


def test_measured_on_names_the_machine_the_job_ran_on(build, tmp_path):
    machine = {"cpu": "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", "torch": "2.14.1", "threads": 1}
    (build.results["nums"].folder / "manifest.json").write_text(json.dumps({"machine": machine}))
    (build.results["out"].folder / "manifest.json").write_text(json.dumps({"machine": {**machine, "threads": 2}}))
    ko = render("{{ measured_on nums }}", src_uri="p.ko.md", build=build)
    assert ko.errors == [] and ko.jobs == {"nums"}
    assert ko.markdown == ("*시간은 Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz에서 PyTorch 2.14.1 버전과 "
                           "CPU 스레드 하나로 측정했습니다.*")
    en = render("{{ measured_on nums }}\n\n{{ measured_on out }}", src_uri="p.en.md", build=build).markdown
    assert en.split("\n\n") == [
        "*Timings measured on Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz with PyTorch 2.14.1 and one CPU thread.*",
        "*Timings measured on Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz with PyTorch 2.14.1 and 2 CPU threads.*"]
    # an entry from before the build recorded machines is an error that says how to refresh it
    (build.results["nums"].folder / "manifest.json").write_text("{}")
    old = render("{{ measured_on nums }}", src_uri="p.en.md", build=build)
    assert len(old.errors) == 1 and "recorded no machine" in old.errors[0] and "--force nums" in old.errors[0]
    assert render("{{ measured_on broken }}", src_uri="p.en.md", build=build).markdown.endswith(
        "**⚠ computation failed: broken**")  # under the failure box at the top
    assert "unknown job 'nope'" in render("{{ measured_on nope }}", src_uri="p.en.md", build=build).errors[0]


def test_figures_and_computed_tables_of_the_article_show_the_code_that_made_them(build, tmp_path):
    """A collapsed block under each figure and each table of computed values, including the
    job's source (and that of the values jobs it needs) from snippets/ by line range."""
    root = tmp_path / "repo"
    module = root / "snippets" / "articles" / "sec" / "page.py"
    results = dict(build.results)
    for job_id, kind, needs, lines in (("curve", "figure", ("nums",), (10, 24)), ("nums", "values", (), (3, 8))):
        s = dataclasses.replace(spec(job_id, kind), path=module, line=lines[0], end_line=lines[1], needs=needs)
        results[job_id] = dataclasses.replace(build.results["fig" if kind == "figure" else "nums"], spec=s)
    build = BuildResult(results, 0.2, ("ko", "en"))
    docs = root / "docs"
    alone = render("![곡선](figure:curve)", src_uri="sec/page.ko.md", build=build, docs_dir=docs).markdown
    include = '    --8<-- "snippets/articles/sec/page.py:{}:{}"'
    assert alone.split("\n\n")[1:4] == [
        '??? example job-code "이 그림을 만든 코드"',
        '    ```python title="snippets/articles/sec/page.py"\n' + include.format(10, 24) + "\n    ```",
        '    ```python title="snippets/articles/sec/page.py"\n' + include.format(3, 8) + "\n    ```"]
    # with a table of the values job on the page, its code stands under the table, not twice
    md = render("![곡선](figure:curve)\n\n| a | b |\n|---|---|\n| x | {{ nums.n:, }} |\n\nafter",
                src_uri="sec/page.ko.md", build=build, docs_dir=docs).markdown
    assert md.split("| a | b |")[0].count("--8<--") == 1 and include.format(10, 24) in md.split("| a |")[0]
    table_part = md.split("| x | 1,347 |\n\n", 1)[1]
    assert table_part.startswith('??? example job-code "이 표를 만든 코드"\n\n    ```python')
    assert table_part.count("--8<--") == 1 and table_part.endswith("```\n\nafter")
    # another page (the home page's cards) shows the figure without its code
    home = render("![곡선](figure:curve)", src_uri="index.en.md", build=build, docs_dir=docs).markdown
    assert "--8<--" not in home and "??? example" not in home


def test_the_notebook_box_promises_only_what_the_notebook_remakes():
    from snippets.build import ui
    from snippets.build.pages import notebook_box

    for lang in ("ko", "en"):
        both = notebook_box(lang, "gelu", {"figure", "table"})
        figures, tables, neither = (notebook_box(lang, "gelu", k) for k in ({"figure"}, {"table"}, set()))
        assert ui.text("notebook_redraws_figure_table", lang) in both
        figure, table = (ui.text(f"notebook_redraws_{k}", lang) for k in ("figure", "table"))
        assert figure in figures and table not in figures
        assert table in tables and figure not in tables
        assert all(ui.text(f"notebook_redraws_{k}", lang) not in neither for k in ("figure", "table", "figure_table"))
        assert "gelu/notebook/gelu.ipynb" in neither


def test_a_job_still_running_under_serve_leaves_a_notice_in_the_page_language(build):
    """`mkdocs serve` builds the pages before the stale jobs have run: each figure, output, value
    and {{ if }} of a pending job shows a notice, with the time left when it is known."""
    results = dict(build.results)
    for job_id, eta in (("fig", 12.3), ("out", None), ("nums", 40.0), ("flags", None)):
        results[job_id] = dataclasses.replace(results[job_id], status="pending", folder=None, eta=eta)
    running = BuildResult(results, 0.2, ("ko", "en"))
    page = ("![a line](figure:fig)\n\n{{ output out }}\n\nn = {{ nums.n:, }}, \\({{ nums.err:.2e|tex }}\\)\n\n"
            "{{ if flags.found }}\nfound\n{{ else }}\nnot found\n{{ end }}\n")
    ko = render(page, src_uri="sec/page.ko.md", build=running)
    en = render(page, src_uri="sec/page.en.md", build=running)
    assert ko.errors == [] and en.errors == []
    assert f"이 그림은 아직 만드는 중입니다 (약 13초 남음)\n{{: .{pages.PENDING_CLASS} }}" in ko.markdown
    assert f"This figure is still being made (about 13 s left)\n{{: .{pages.PENDING_CLASS} }}" in en.markdown
    assert "이 출력은 아직 만드는 중입니다\n" in ko.markdown and "This output is still being made\n" in en.markdown
    assert "n = *(계산하는 중, 약 40초 남음)*" in ko.markdown
    assert "n = *(still being computed, about 40 s left)*" in en.markdown
    assert r"\(\text{...}\)" in en.markdown  # words inside math would not typeset
    assert "found" not in en.markdown.replace("not found", "") and "not found" not in en.markdown
    assert "This part is still being computed" in en.markdown and "이 부분은 아직 계산하는 중입니다" in ko.markdown
    assert "assets/figures" not in en.markdown  # no figure file is linked before it exists


def test_the_notebook_page_says_what_its_cells_remake():
    from snippets.build import ui
    from snippets.build.pages import notebook_page

    for lang in ("ko", "en"):
        figures = notebook_page(lang, "GELU", "gelu", {"figure"})
        both = notebook_page(lang, "GELU", "gelu", {"figure", "table"})
        plain = notebook_page(lang, "GELU", "gelu")
        assert ui.text("notebook_intro_redraws_figure", lang) in figures
        assert ui.text("notebook_intro_redraws_figure_table", lang) in both
        kinds = ("figure", "table", "figure_table")
        assert not any(ui.text(f"notebook_intro_redraws_{k}", lang) in plain for k in kinds)
        assert "(notebook/gelu.ipynb)" in plain and plain.count("# ") >= 1
