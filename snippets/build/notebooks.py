"""Companion notebooks: the listings an article shows, in the order it shows them, executed at
build time through the job cache.

Each fenced ``python`` block of a page that consists only of ``--8<--`` include lines is one
listing; expanded with the same pymdownx.snippets settings as the site, it becomes one code
cell. The Korean and English pages must show the same listings (the site tests check it; here
it is an error). One ``notebook-<section>-<slug>`` job per article executes the cells with
nbclient and renders them with mkdocs-jupyter's converter; both happen in the worker, so a
MkDocs process imports neither nbconvert nor torch. The job's key covers the cells' text, the
project modules and libraries they import, the files outside the repository declared by the
jobs whose bodies the listings show (``external=``), and the runner code, but no prose: editing
an article's text re-runs nothing.

Each language then gets a copy of the executed notebook with a title cell in its language
(:func:`localized`), served for download next to the rendered page.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import ui
from .jobs import jobs_in_source
from .languages import page_file
from .syntax import BLOCK

# Must equal the pymdownx.snippets entry of mkdocs.yml; the MkDocs hook checks it.
SNIPPETS_CONFIG = {"base_path": ["."], "check_paths": True, "dedent_subsections": True}
FENCE = re.compile(r"^(?P<fence>`{3,})python[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)
INCLUDE = re.compile(r'^--8<-- "[^"\n]+"$')
SECTION_MARKER = "# --8<-- [{edge}:{name}]"  # pymdownx.snippets' section lines in snippets/
STYLESHEET = "assets/stylesheets/notebook.css"  # mkdocs-jupyter's styles, shared by every notebook page


class NotebookError(ValueError):
    """A page whose listings cannot become a notebook."""


def listings(markdown: str, where: str = "page") -> list[list[str]]:
    """The include lines of every listing (fenced python block made of includes only).

    A listing may not stand inside an ``{{ if }}`` block of the page: the notebook is made
    before any job has run, so it could not follow the condition.
    """
    found = []
    for m in FENCE.finditer(markdown):
        lines = [line.strip() for line in m.group("body").splitlines() if line.strip()]
        if lines and all(INCLUDE.match(line) for line in lines):
            words = [b.group("word") for b in map(BLOCK.match, markdown[: m.start()].split("\n")) if b]
            if words.count("if") > words.count("end"):
                line = markdown.count("\n", 0, m.start()) + 1
                raise NotebookError(f"{where}, line {line}: a listing inside an {{{{ if }}}} block; the companion "
                                    "notebook shows every listing whatever the condition, so move it out of the block")
            found.append(lines)
    return found


def expand(include_lines: list[str], root: Path) -> str:
    """The code a listing shows, expanded exactly as the site's pymdownx.snippets does."""
    import markdown  # the site's own Markdown stack; light, and loaded by MkDocs anyway

    config = dict(SNIPPETS_CONFIG, base_path=[str(root / p) for p in SNIPPETS_CONFIG["base_path"]])
    md = markdown.Markdown(extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": config})
    spaced = []
    for line in include_lines:  # a blank line between sections, as in the page
        spaced += [line, ""]
    return "\n".join(md.preprocessors["snippet"].run(spaced[:-1])).strip("\n")


def job_id(page: str) -> str:
    return "notebook-" + page.replace("/", "-")


@dataclass(frozen=True)
class ArticleNotebook:
    page: str  # "activations/gelu"
    cells: tuple[str, ...]
    source: Path  # the default-language page the cells were read from
    raises: tuple[int, ...] = ()  # cells that show an exception on purpose
    external: tuple[str, ...] = ()  # files outside the repository that the cells' jobs declare


def _listing_job(include_lines: list[str], root: Path):
    """The job whose function body a listing shows (an output job's listing, say), or None.

    Its declaration says what the cell does too: whether its exception is part of what the page
    shows (``raises=``, so the notebook cell may raise it), and which files outside the
    repository it reads (``external=``, part of the notebook's key)."""
    import ast

    for line in include_lines:
        path_section = line.removeprefix('--8<-- "').removesuffix('"')
        if ":" not in path_section:
            continue
        rel, section = path_section.rsplit(":", 1)
        path = root / rel
        source = path.read_text(encoding="utf-8")
        marker = next((i for i, text in enumerate(source.splitlines(), 1)
                       if text.strip() == SECTION_MARKER.format(edge="start", name=section)), None)
        if marker is None:
            continue
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.lineno <= marker <= node.end_lineno:
                return next((spec for spec in jobs_in_source(source, path, "m") if spec.function == node.name), None)
    return None


def discover(docs_dir: Path, root: Path, langs) -> dict[str, ArticleNotebook]:
    """Every article with listings, by page. Pages are ``<page>.<lang>.md`` under ``docs_dir``;
    the cells are read from the default language's page (``langs[0]``)."""
    found = {}
    for source in sorted(docs_dir.rglob(f"*.{langs[0]}.md")):
        page = source.relative_to(docs_dir).as_posix().removesuffix(f".{langs[0]}.md")
        shown = listings(source.read_text(encoding="utf-8"), str(source))
        if not shown:
            continue
        for lang in langs[1:]:
            other = docs_dir / page_file(page, lang)
            if other.is_file() and listings(other.read_text(encoding="utf-8"), str(other)) != shown:
                raise NotebookError(f"{other} shows other listings than {source}: "
                                    "both languages must show the same code, in the same order")
        jobs = [_listing_job(lines, root) for lines in shown]
        raises = tuple(i for i, job in enumerate(jobs) if job and job.kind == "output" and job.params.get("raises"))
        external = tuple(dict.fromkeys(pattern for job in jobs if job for pattern in job.external))
        found[page] = ArticleNotebook(page, tuple(expand(lines, root) for lines in shown), source, raises, external)
    return found


# --- worker side (imports nbformat, nbclient, mkdocs-jupyter) ----------------------------------


def execute(cells, cwd: Path, raises=()) -> dict:
    """A notebook of ``cells``, executed in a fresh kernel; returns its JSON. The cells listed in
    ``raises`` carry nbclient's ``raises-exception`` tag: their exception is shown, not fatal."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code, id=f"cell-{i}") for i, code in enumerate(cells)]
    for i in raises:
        nb.cells[i].metadata["tags"] = ["raises-exception"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    from nbclient.exceptions import CellExecutionError

    client = NotebookClient(nb, timeout=900, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    except CellExecutionError as exc:  # say which cell, without the terminal colours
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
        raise NotebookError(f"a notebook cell raised {exc.ename}: {exc.evalue}\n{text}") from None
    nbformat.validate(nb)
    return json.loads(nbformat.writes(nb))


_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
_MERMAID = re.compile(r"<script type=\"module\">\s*document\.addEventListener\(\"DOMContentLoaded\".*?</script>", re.S)


_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)


def render_html(notebook_path: Path) -> tuple[str, str]:
    """The notebook as HTML by mkdocs-jupyter's converter (its template and styles), and the
    styles apart: ``(html, css)``.

    nbconvert's MathJax loader and its mermaid loader are taken out: the site typesets math
    with its own KaTeX, which covers notebook cells too, there are no diagrams, and both name a
    CDN (the site loads nothing from a third-party origin). The styles (about 600 kB, the same
    for every notebook) go to one shared stylesheet instead of every page, and out of the text
    that search indexes.
    """
    from mkdocs_jupyter import convert

    html = convert.nb2html(str(notebook_path), execute=False, theme="light", custom_mathjax_url="")
    html = _MERMAID.sub("", _MATHJAX.sub("", html))
    css = "\n".join(m.strip() for m in _STYLE.findall(html))
    return _STYLE.sub("", html).strip() + "\n", css + "\n"


# --- per language (MkDocs side, plain JSON) --------------------------------------------------


def localized(executed: dict, lang: str, title: str, article_url: str) -> dict:
    """The executed notebook with a title cell in ``lang`` that links back to the article."""
    nb = copy.deepcopy(executed)
    header = {"cell_type": "markdown", "id": "title", "metadata": {},
              "source": ui.text("notebook_header", lang, title=title, url=article_url)}
    nb["cells"] = [header] + nb["cells"]
    return nb


def code_cells(nb: dict) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]
