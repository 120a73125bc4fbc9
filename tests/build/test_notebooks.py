"""Companion notebooks: built from the listings a page shows, executed, rendered, downloadable."""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
from importlib import metadata

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient

from snippets.build import environment, notebooks
from tests.conftest import REPO, article_listings
from tests.sample_site import FIGURE_JOB

pytestmark = pytest.mark.slow


def test_listings_are_fences_made_of_includes_only():
    md = ('text\n```python title="a.py"\n--8<-- "a.py:one"\n\n--8<-- "a.py:two"\n```\n'
          "```python\nprint('typed, not included')\n```\n"
          '````text\n--8<-- "a.py:three"\n````\n'
          '````python\n--8<-- "b.py:four"\n````\n')
    assert notebooks.listings(md) == [['--8<-- "a.py:one"', '--8<-- "a.py:two"'], ['--8<-- "b.py:four"']]


def test_a_listing_folded_in_a_collapsed_block_is_a_listing_too():
    """Plumbing a reader may skip is folded into a ``??? note`` block; the notebook still needs
    its definitions, so it is still a cell, in the page's order."""
    md = ('```python\n--8<-- "a.py:one"\n```\n\n'
          '??? note "How the file is found"\n\n    ```python title="a.py"\n    --8<-- "a.py:two"\n'
          '    --8<-- "a.py:three"\n    ```\n\n    Prose in the block.\n\n'
          '```python\n--8<-- "a.py:four"\n```\n')
    assert notebooks.listings(md) == [['--8<-- "a.py:one"'], ['--8<-- "a.py:two"', '--8<-- "a.py:three"'],
                                      ['--8<-- "a.py:four"']]


def test_listings_may_stand_around_if_blocks_but_not_inside():
    listing = '```python\n--8<-- "a.py:one"\n```\n'
    ok = "{{ if v.found }}\n![map](figure:f)\n{{ else }}\nnone\n{{ end }}\n" + listing
    assert notebooks.listings(ok) == [['--8<-- "a.py:one"']]
    inside = "# P\n\n{{ if v.found }}\n" + listing + "{{ end }}\n"
    with pytest.raises(notebooks.NotebookError, match=r"p.ko.md, line 4: a listing inside an \{\{ if \}\} block"):
        notebooks.listings(inside, "p.ko.md")


def test_a_listing_that_is_a_job_body_brings_its_raises_and_external_files(tmp_path):
    (tmp_path / "docs/s").mkdir(parents=True)
    (tmp_path / "m.py").write_text(
        "from snippets.build import output\n\n\n"
        "@output('weights', page='s/p', external=('$W', '~/w.bin'))\ndef weights():\n"
        "    # --8<-- [start:w]\n    print('w')\n    # --8<-- [end:w]\n\n\n"
        "@output('boom', page='s/p', raises='ZeroDivisionError')\ndef boom():\n"
        "    # --8<-- [start:boom]\n    1 / 0\n    # --8<-- [end:boom]\n")
    page = '# P\n```python\n--8<-- "m.py:w"\n```\n```python\n--8<-- "m.py:boom"\n```\n'
    (tmp_path / "docs/s/p.ko.md").write_text(page)
    (found,) = notebooks.discover(tmp_path / "docs", tmp_path, ("ko", "en")).values()
    assert found.cells == ("print('w')", "1 / 0") and found.external == ("$W", "~/w.bin")
    assert found.raises == ((1, "ZeroDivisionError"),)


RERUN_MODULE = (
    "import math\nfrom snippets.build import figure, values\n\nSCALE = 2\n\n\n"
    "@values('numbers', page='s/p')\ndef numbers():\n    return {'x': math.pi * SCALE}\n\n\n"
    "@values('table-only', page='s/p')\ndef table_only():\n    return {'y': 1}\n\n\n"
    "@figure('plot', page='s/p', needs=('numbers',))\ndef plot(theme, numbers):\n    return _draw(numbers)\n\n\n"
    "def _draw(numbers):\n    raise NotImplementedError\n\n\n"
    "@figure('elsewhere', page='s/other')\ndef elsewhere(theme):\n    return None\n"
    "# --8<-- [start:a]\nx = 1\n# --8<-- [end:a]\n")


def test_rerun_cells_follow_the_page_s_own_figures_and_tables(tmp_path):
    """One cell per figure and per table's values job of the page's own jobs, placed after the
    listing before it, with the job's source (and its needs that no table shows) made runnable
    by importing the module-level names it uses."""
    from snippets.build.jobs import jobs_in_source

    (tmp_path / "snippets/articles/s").mkdir(parents=True)
    module = tmp_path / "snippets/articles/s/p.py"
    module.write_text(RERUN_MODULE)
    jobs = {s.id: s for s in jobs_in_source(RERUN_MODULE, module, "snippets.articles.s.p")}
    page = ("# P\n\n![a plot](figure:plot)\n\n```python\n--8<-- \"m.py:a\"\n```\n\n"
            "| x | y |\n|---|---|\n| {{ numbers.x:.2f }} | {{ table-only.y }} |\n\n"
            "![not ours](figure:elsewhere)\n")
    cells = notebooks.rerun_cells(page, "s/p", jobs, tmp_path)
    assert [(c["after"], c["job"], c["kind"], c["function"], c["needs"]) for c in cells] == [
        (0, "plot", "figure", "plot", ["numbers"]),
        (1, "numbers", "table", "numbers", []),
        (1, "table-only", "table", "table_only", []),
    ]
    plot = cells[0]["code"]
    # the table shows the code of "numbers": the figure's cell has its own code only
    assert plot.startswith("from snippets.articles.s.p import _draw, figure\nfrom snippets.build.rerun import rerun\n")
    assert "def plot(theme, numbers):" in plot and "def numbers" not in plot
    assert cells[1]["code"].startswith("from snippets.articles.s.p import SCALE, math, values\n")
    # without a table, the figure's cell brings the code of what it needs, as the page's block does
    (alone,) = notebooks.rerun_cells("![a plot](figure:plot)\n", "s/p", jobs, tmp_path)
    assert "def plot(theme, numbers):" in alone["code"] and "def numbers():" in alone["code"]
    assert "import SCALE, _draw, figure, math, values\n" in alone["code"]


def test_each_language_gets_its_comment_its_call_and_its_pictures():
    """What execute() leaves in a cell that redraws a figure (its code calling rerun without a
    language, one picture per language, tagged), as each language's reader gets it."""
    def picture(lang):
        return {"output_type": "display_data", "data": {"image/svg+xml": f"<svg>{lang}</svg>"},
                "metadata": {"lang": lang}}

    meta = {"tags": [notebooks.RERUN_TAG],
            notebooks.RERUN_TAG: {"job": "plot", "kind": "figure", "function": "plot", "minutes": 2}}
    table = {"tags": [notebooks.RERUN_TAG],
             notebooks.RERUN_TAG: {"job": "numbers", "kind": "table", "function": "numbers", "minutes": 0}}
    executed = {"cells": [{"cell_type": "code", "id": "cell-0", "source": "a = 1", "metadata": {}, "outputs": []},
                          {"cell_type": "code", "id": "rerun-plot", "source": "def plot(theme): ...\n\n\nrerun(plot)",
                           "metadata": meta, "outputs": [picture("ko"), picture("en")]},
                          {"cell_type": "code", "id": "rerun-numbers", "metadata": table,
                           "source": "def numbers(): ...\n\n\nrerun(numbers)",
                           "outputs": [{"output_type": "execute_result", "data": {"text/plain": "{}"},
                                        "metadata": {}}]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    for lang in ("ko", "en"):
        nb = notebooks.localized(executed, lang, "T", "https://site/s/p/")
        assert [c["id"] for c in nb["cells"]] == ["title", "cell-0", "rerun-plot", "rerun-numbers"]
        plot, numbers = nb["cells"][2], nb["cells"][3]
        assert plot["source"].endswith(f'def plot(theme): ...\n\n\nrerun(plot, lang="{lang}")')
        took = {"ko": "약 2분", "en": "about 2 min"}[lang]
        assert plot["source"].startswith("# ") and took in plot["source"]
        assert [o["data"]["image/svg+xml"] for o in plot["outputs"]] == [f"<svg>{lang}</svg>"]
        assert numbers["source"].endswith("\n\n\nrerun(numbers)")
        assert "min" not in numbers["source"].split("def")[0]
        assert len(numbers["outputs"]) == 1
        assert notebooks.code_cells(nb) == ["a = 1"] and len(notebooks.code_cells(nb, reruns=True)) == 3
    assert executed["cells"][1]["source"].endswith("rerun(plot)")  # the build's notebook is left as it was


def test_languages_must_show_the_same_listings(tmp_path):
    (tmp_path / "docs/s").mkdir(parents=True)
    (tmp_path / "m.py").write_text("# --8<-- [start:a]\nx = 1\n# --8<-- [end:a]\n# --8<-- [start:b]\ny = 2\n"
                                   "# --8<-- [end:b]\n")
    (tmp_path / "docs/s/p.ko.md").write_text('# P\n```python\n--8<-- "m.py:a"\n```\n')
    (tmp_path / "docs/s/p.en.md").write_text('# P\n```python\n--8<-- "m.py:a"\n```\n')
    (found,) = notebooks.discover(tmp_path / "docs", tmp_path, ("ko", "en")).values()
    assert found.page == "s/p" and found.cells == ("x = 1",)
    (tmp_path / "docs/s/p.en.md").write_text('# P\n```python\n--8<-- "m.py:b"\n```\n')
    with pytest.raises(notebooks.NotebookError, match="shows other listings"):
        notebooks.discover(tmp_path / "docs", tmp_path, ("ko", "en"))


@pytest.mark.parametrize("lang, prefix", [("ko", ""), ("en", "en/")])
def test_notebook_page_is_rendered_html_with_outputs(sample_built, lang, prefix):
    page = sample_built.dir / prefix / "demo/sample/notebook/index.html"
    text = page.read_text(encoding="utf-8")
    assert not text.lstrip().startswith("{")
    soup = BeautifulSoup(text, "html.parser")
    assert soup.html["lang"] == lang
    wrapper = soup.select_one("article .jupyter-wrapper")
    assert wrapper is not None, "no rendered notebook on the page"
    shown = article_listings(sample_built.dir / prefix / "demo/sample/index.html")
    # the listings, and the cell that redraws the page's one figure
    assert len(wrapper.select(".jp-CodeCell[id^=cell-id]")) == len(shown) + 1
    outputs = " ".join(o.get_text() for o in wrapper.select(".jp-OutputArea-output"))
    assert "hello sample" in outputs
    assert soup.select_one('link[rel="stylesheet"][href$="assets/stylesheets/notebook.css"]')
    assert "cdnjs" not in text and "mathjax" not in text.lower()


@pytest.mark.parametrize("lang, prefix", [("ko", ""), ("en", "en/")])
def test_download_is_valid_and_holds_exactly_the_listings(sample_built, lang, prefix):
    path = sample_built.dir / prefix / "demo/sample/notebook/sample.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and ("노트북" in nb.cells[0].source) == (lang == "ko")
    shown = article_listings(sample_built.dir / prefix / "demo/sample/index.html")
    assert notebooks.code_cells(json.loads(path.read_text(encoding="utf-8"))) == shown
    assert all(c.outputs for c in nb.cells if c.cell_type == "code" and "print(" in c.source)


def test_article_links_to_its_notebook(sample_built):
    for prefix in ("", "en/"):
        soup = BeautifulSoup((sample_built.dir / prefix / "demo/sample/index.html").read_text(), "html.parser")
        hrefs = [a["href"] for a in soup.select("article .admonition.example a")]
        assert hrefs == ["notebook/", "notebook/sample.ipynb"]  # relative to /demo/sample/


def test_notebook_language_switcher_points_to_the_other_notebook(sample_built):
    ko = BeautifulSoup((sample_built.dir / "demo/sample/notebook/index.html").read_text(), "html.parser")
    link = ko.select_one(".md-select__link[hreflang='en']")["href"]
    target = (sample_built.dir / "demo/sample/notebook" / link / "index.html").resolve()
    assert target == (sample_built.dir / "en/demo/sample/notebook/index.html").resolve()


def test_downloaded_notebook_executes_again_cleanly(sample_built, tmp_path):
    """... and its cell that redraws the page's figure writes the very file the build drew."""
    nb = nbformat.read(sample_built.dir / "en/demo/sample/notebook/sample.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    texts = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "hello sample" in texts
    (redraw,) = [c for c in nb.cells if notebooks.RERUN_TAG in c.metadata.get("tags", ())]
    assert redraw.id == f"rerun-{FIGURE_JOB}" and redraw.outputs[-1]["output_type"] == "execute_result"
    assert "image/svg+xml" in redraw.outputs[-1]["data"]
    (built,) = sample_built.cache.glob(f"jobs/{FIGURE_JOB}/*/en-light.svg")
    assert (tmp_path / "rerun" / FIGURE_JOB / "en-light.svg").read_bytes() == built.read_bytes()


@pytest.mark.parametrize("lang, prefix", [("ko", ""), ("en", "en/")])
def test_the_build_runs_the_figure_cells_drawing_each_language_s_picture(sample_built, lang, prefix):
    """At build time the cell that redraws the page's figure runs too; each language's download
    and notebook page keep the picture drawn in that language."""
    nb = json.loads((sample_built.dir / prefix / "demo/sample/notebook/sample.ipynb").read_text(encoding="utf-8"))
    (redraw,) = [c for c in nb["cells"] if notebooks.RERUN_TAG in c["metadata"].get("tags", ())]
    assert "".join(redraw["source"]).endswith(f'rerun(curve, lang="{lang}")')
    (picture,) = [o for o in redraw["outputs"] if "image/svg+xml" in o.get("data", {})]
    assert picture["metadata"] == {"lang": lang}
    page = BeautifulSoup((sample_built.dir / prefix / "demo/sample/notebook/index.html").read_text(), "html.parser")
    assert f'rerun(curve, lang="{lang}")' in page.get_text().replace("\u200b", "")
    assert page.select("article svg") or page.select("article img[src^='data:image/svg']")


def test_build_report_lists_every_job(sample_built):
    from snippets.build.runner import make_plan

    jobs = make_plan(sample_built.dir.parent / "project" / "snippets").jobs
    for prefix, state in (("", "캐시"), ("en/", "cached")):
        soup = BeautifulSoup((sample_built.dir / prefix / "build-report/index.html").read_text(), "html.parser")
        rows = [[td.get_text().strip() for td in tr.find_all("td")] for tr in soup.select("article table tr")[1:]]
        assert sorted(r[0] for r in rows) == sorted(jobs)
        assert {r[3] for r in rows} == {state}  # the warm build found everything cached
        assert all(len(r[5]) == 12 for r in rows) and all(float(r[4]) >= 0 for r in rows)
        text = soup.select_one("article").get_text()
        assert "jobs: 0 run" in text
        kinds = {"그림", "값", "출력", "노트북"} if prefix == "" else {"figure", "values", "output", "notebook"}
        assert {r[2] for r in rows} == kinds  # job kinds in the page's language
        assert f"torch {metadata.version('torch')}" in text and f"timm {metadata.version('timm')}" in text
        assert environment.cpu_model() in text and f"Python {platform.python_version()}" in text
    assert REPO.joinpath("mkdocs.yml").read_text().count("build-report.md") == 1  # in the real site's nav


def test_a_cell_may_raise_only_the_exception_its_job_declares(tmp_path):
    ok = notebooks.execute(["x = 1", "1 / 0", "print(x)"], raises=[(1, "ZeroDivisionError")])
    assert [o.get("ename") for o in ok["cells"][1]["outputs"]] == ["ZeroDivisionError"]
    assert "".join(ok["cells"][2]["outputs"][0]["text"]) == "1\n"  # it went on after the declared error
    with pytest.raises(notebooks.NotebookError, match=r"gelu \(activations/gelu\): notebook cell 1 should "
                       r"raise ZeroDivisionError .* but it gave NameError: name 'undefined' is not defined"):
        notebooks.execute(["x = 1", "undefined + 1"], raises=[(1, "ZeroDivisionError")],
                          title="gelu (activations/gelu)")
    with pytest.raises(notebooks.NotebookError, match="cell 0 should raise ZeroDivisionError .* gave no exception"):
        notebooks.execute(["x = 1"], raises=[(0, "ZeroDivisionError")])
    with pytest.raises(notebooks.NotebookError, match=r"demo: notebook cell 1 raised KeyError: 'k'"):
        notebooks.execute(["d = {}", "d['k']"], title="demo")


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs util-linux's unshare")
def test_notebooks_run_without_a_network(tmp_path):
    """The kernel talks over IPC: in a network namespace whose loopback is down (no TCP at all),
    a notebook still runs."""
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces are not allowed here: {probe.stderr.decode().strip()}")
    script = ("from pathlib import Path; from snippets.build import notebooks; "
              "nb = notebooks.execute(['print(6 * 7)']); "
              "print(''.join(nb['cells'][0]['outputs'][0]['text']), end='')")
    run = subprocess.run(["unshare", "-rn", sys.executable, "-c", script], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout == "42\n"


def test_the_setup_cell_carries_the_project_code_the_cells_import(tmp_path):
    """A notebook runs in an empty folder with nothing of the repository on its path: the first
    cell writes the project modules the cells import (and the data files those name)."""
    root = tmp_path / "repo"
    for rel, text in {
        "snippets/__init__.py": "",
        "snippets/data/table.csv": "a,b\n1,2\n",
        "snippets/data/unused.csv": "x\n",
        "snippets/pkg/__init__.py": "",
        "snippets/pkg/helper.py": "TWICE = 2\n",
        "snippets/pkg/mod.py": ("from pathlib import Path\nfrom snippets.pkg.helper import TWICE\n\n"
                                "def rows():\n    return (Path(__file__).parents[1] / 'data' / 'table.csv')"
                                ".read_text().split()\n"),
        "snippets/other.py": "raise RuntimeError('never carried')\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    cells = ["from snippets.pkg.mod import TWICE, rows", "print(TWICE * len(rows()))"]
    assert notebooks.carried_files(cells, root) == [
        "snippets/__init__.py", "snippets/data/table.csv", "snippets/pkg/__init__.py", "snippets/pkg/helper.py",
        "snippets/pkg/mod.py"]
    setup = notebooks.setup_cell(cells, root)
    assert setup == notebooks.setup_cell(cells, root)  # the same files, the same cell
    nb = notebooks.execute(cells, setup=setup)
    assert notebooks.code_cells(nb) == cells and notebooks.code_cells(nb, setup=True)[0] == setup
    assert "".join(nb["cells"][2]["outputs"][0]["text"]) == "4\n"
    with pytest.raises(notebooks.NotebookError, match="notebook cell 0 raised ModuleNotFoundError: No module named"):
        notebooks.execute(cells)  # without its setup cell the notebook cannot see the repository
    assert notebooks.setup_cell(["import torch"], root) is None


def test_make_notebooks_runs_each_download_alone_and_times_it(sample_built, tmp_path, capsys):
    from snippets.build.__main__ import main

    assert main(["notebooks", str(sample_built.dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(re.fullmatch(r" *\d+\.\d s  \S+\.ipynb", line) for line in lines), lines
    assert any(line.endswith("en/demo/sample/notebook/sample.ipynb") for line in lines)
    # a download whose cell now fails is reported, naming the notebook
    broken = tmp_path / "site" / "en" / "x" / "notebook"
    broken.mkdir(parents=True)
    nb = json.loads((sample_built.dir / "en/demo/sample/notebook/sample.ipynb").read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "id": "boom", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": "raise KeyError('gone')"})
    (broken / "x.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    assert main(["notebooks", str(tmp_path / "site")]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "x.ipynb" in out and "KeyError" in out
    assert main(["notebooks", str(tmp_path / "nothing")]) == 2


def test_outputs_hold_no_path_of_the_machine_that_ran_them(tmp_path):
    """The kernel's temporary folder and the folders passed as ``paths`` (the build's cache
    entries) are replaced in every output, tracebacks included: a notebook's bytes do not depend
    on where it was built."""
    entry = tmp_path / "cache" / "jobs" / "trained" / "0123abcd"
    cells = ["import os\nprint(os.getcwd())",
             f"print({str(entry / 'weights.pt')!r})",
             "open('helper.py', 'w').write('def fail():\\n    raise KeyError(7)\\n')\nimport helper\nhelper.fail()"]
    nb = notebooks.execute(cells, raises=[(2, "KeyError")], paths={str(entry): "rerun/trained"})
    text = json.dumps([c["outputs"] for c in nb["cells"]])
    assert "".join(nb["cells"][0]["outputs"][0]["text"]) == ".\n"
    assert "".join(nb["cells"][1]["outputs"][0]["text"]) == "rerun/trained/weights.pt\n"
    assert "helper.py" in text and "/notebook-" not in text and str(tmp_path) not in text
