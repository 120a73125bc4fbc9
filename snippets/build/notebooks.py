"""Companion notebooks: the listings an article shows, in the order it shows them, executed at
build time through the job cache.

Each fenced ``python`` block of a page that consists only of ``--8<--`` include lines is one
listing, folded (indented in a collapsed block) or not; expanded with the same
pymdownx.snippets settings as the site, it becomes one code cell. The Korean and English
pages must show the same listings (the site tests check it; here it is an error). One
``notebook-<section>-<slug>`` job per article executes the cells with nbclient and renders
them with mkdocs-jupyter's converter; both happen in the worker, so a MkDocs process imports
neither nbconvert nor torch. The job's key covers the cells' text, the
project modules and libraries they import, the files outside the repository declared by the
jobs whose bodies the listings show (``external=``), and the runner code, but no prose: editing
an article's text re-runs nothing.

A notebook runs anywhere: the cells run in an empty folder, with nothing of the repository on
the kernel's path. The project modules they import (and the data files those read) travel in
the notebook's first cell, which writes them next to it (:func:`setup_cell`): the same bytes the
build ran, listed with their SHA-256. The rendered page leaves that cell out; the download has it.

Each language then gets a copy of the executed notebook with a title cell in its language
(:func:`localized`), served for download next to the rendered page.

The notebook also redraws the page's figures and recomputes its tables: where the page shows a
figure or a table of this article's jobs, a cell holds the job's source (what the page's "code
for this figure" block shows) and calls :func:`snippets.build.rerun.rerun` on it, which runs it
with the build's seeds (:func:`rerun_cells`). The build executes these cells too, with the
values they need read from the build's own cache entries (the notebook job *needs* those values
jobs) rather than trained a second time, and each figure drawn in every language; a reader's
download computes everything. ``make notebooks`` and the upstream canary run every download in
full, and the test suite does so for the cheap articles, comparing the results with the build's
(``tests/site/test_site.py``).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import os
import re
import tempfile
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import ui
from .deps import ProjectGraph
from .jobs import JobSpec, jobs_in_source
from .languages import page_file
from .syntax import BLOCK

# Must equal the pymdownx.snippets entry of mkdocs.yml; the MkDocs hook checks it.
SNIPPETS_CONFIG = {"base_path": ["."], "check_paths": True, "dedent_subsections": True}
# A listing may stand indented in a collapsed ``??? note "..."`` block (a folded listing, for
# plumbing a reader may skip): it is still a cell of the notebook, which needs its definitions.
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})python[^\n]*\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
                   re.M | re.S)
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
    raises: tuple[tuple[int, str], ...] = ()  # (cell, exception name): cells that fail on purpose
    external: tuple[str, ...] = ()  # files outside the repository that the cells' jobs declare
    setup: str | None = None  # the first cell: the project files the cells import (setup_cell)
    reruns: tuple[dict, ...] = ()  # cells that run a figure's or table's jobs again (rerun_cells)


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


def discover(docs_dir: Path, root: Path, langs, graph: ProjectGraph | None = None,
             jobs: dict[str, JobSpec] | None = None) -> dict[str, ArticleNotebook]:
    """Every article with listings, by page. Pages are ``<page>.<lang>.md`` under ``docs_dir``;
    the cells are read from the default language's page (``langs[0]``). ``graph``: the project's
    import graph, if the caller has read it already; ``jobs``: the project's jobs by id, for the
    cells that redraw the page's figures and tables (none without it)."""
    found = {}
    graph = graph or ProjectGraph(root / "snippets")
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
        listed = [_listing_job(lines, root) for lines in shown]
        raises = tuple((i, job.params["raises"]) for i, job in enumerate(listed)
                       if job and job.kind == "output" and job.params.get("raises"))
        external = tuple(dict.fromkeys(pattern for job in listed if job for pattern in job.external))
        cells = tuple(expand(lines, root) for lines in shown)
        reruns = tuple(rerun_cells(source.read_text(encoding="utf-8"), page, jobs or {}, root))
        setup = setup_cell(cells + tuple(r["code"] for r in reruns), root, graph)
        found[page] = ArticleNotebook(page, cells, source, raises, external, setup, reruns)
    return found


# --- cells that redraw the page's figures and recompute its tables ----------------------------

RERUN_TAG = "rerun"  # the tag of those cells; their ids are "rerun-<job-id>"
# What the build tells the kernel running those cells (snippets.build.rerun): the cache entries of
# the values jobs they read, as JSON {job id: folder}, and the site's languages, comma-separated.
BUILD_VALUES, BUILD_LANGS = "MODEL_NOTES_BUILD_VALUES", "MODEL_NOTES_BUILD_LANGS"
_TABLE = re.compile(r"(?:^[ \t]*\|.*\n?)+", re.M)


def rerun_cells(markdown: str, page: str, jobs: dict[str, JobSpec], root: Path) -> list[dict]:
    """One cell per figure and per values job of a table that the page shows from its own jobs,
    in the page's order: ``{"after": n, "job": id, "function": name, "code": source}``, to go
    after the page's ``n``-th listing. ``code`` defines the job (its source as the module has
    it, with the module's names it uses imported first) and the values jobs it needs that no
    table of the page shows, as the page's "code for this figure" block does; the call to
    ``rerun`` is added per language (:func:`localized`)."""
    from .syntax import FIGURE, PLACEHOLDER, VALUE

    own = {i: spec for i, spec in jobs.items() if spec.page == page and spec.end_line}
    fences = [m.start() for m in FENCE.finditer(markdown)
              if all(INCLUDE.match(x.strip()) for x in m.group("body").splitlines() if x.strip())]
    found = []  # (position, figure or table, job ids)
    for m in FIGURE.finditer(markdown):
        found.append((m.start(), "figure", [m.group("id")]))
    tabled = set()
    for m in _TABLE.finditer(markdown):
        ids = [v.group("id") for p in PLACEHOLDER.finditer(m.group(0))
               if (v := VALUE.match(p.group(1).strip()))]
        ids = [i for i in dict.fromkeys(ids) if i in own]
        tabled.update(ids)
        found.append((m.start(), "table", ids))
    cells, done = [], set()
    for position, kind, ids in sorted(found, key=lambda f: f[0]):
        for job in ids:
            if job not in own or job in done:
                continue
            done.add(job)
            shown = [own[job]] + [own[n] for n in own[job].needs if n in own and n not in tabled]
            needs = _all_needs(job, jobs)
            elsewhere = [jobs[n] for n in needs if jobs[n].module != own[job].module]  # another article's
            cells.append({"after": sum(f < position for f in fences), "job": job, "kind": kind,
                          "function": own[job].function, "needs": needs,
                          "values": needs + ([job] if own[job].kind == "values" else []),
                          "code": _job_code(shown, root, elsewhere)})
    return cells


def _all_needs(job: str, jobs: dict[str, JobSpec]) -> list[str]:
    """What ``job`` needs, directly or through another job, in the order rerun runs them."""
    found: list[str] = []
    for need in jobs[job].needs:
        found += [n for n in [*_all_needs(need, jobs), need] if n not in found]
    return found


def _job_code(specs: list[JobSpec], root: Path, elsewhere: list[JobSpec] = ()) -> str:
    """The source of ``specs`` (one module's jobs), after an import of the module-level names
    they use, so that the cell runs on its own, and of the jobs in ``elsewhere`` (values jobs of
    other modules that they need, which ``rerun`` then finds by their id)."""
    import ast

    path = specs[0].path
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    top = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            top.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            top.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                top.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    lines = source.splitlines()
    bodies, used = [], set()
    for spec in specs:
        bodies.append("\n".join(lines[spec.line - 1: spec.end_line]))
        node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == spec.function)
        loads = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        bound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        bound |= {a.arg for n in ast.walk(node) if isinstance(n, ast.arguments)
                  for a in [*n.posonlyargs, *n.args, *n.kwonlyargs, n.vararg, n.kwarg] if a}
        decorators = {n.id for d in node.decorator_list for n in ast.walk(d) if isinstance(n, ast.Name)}
        used |= (loads - bound) | decorators
    names = sorted((used & top) - {spec.function for spec in specs})
    module = specs[0].module
    head = f"from {module} import {', '.join(names)}"
    if len(head) > 88:
        head = f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
    if not names:
        head = ""
    others = [f"from {spec.module} import {spec.function}  # job {spec.id}, needed" for spec in elsewhere]
    return "\n".join(filter(None, [head, *others, "from snippets.build.rerun import rerun"])) + "\n\n\n" + \
        "\n\n\n".join(bodies)


# --- the project code a notebook needs, carried in its first cell ------------------------------

SETUP_ID = "setup"  # the id and tag of that cell
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same files give the same bytes


def carried_files(cells, root: Path, graph: ProjectGraph | None = None) -> list[str]:
    """The repository files a notebook of ``cells`` needs to run outside the repository: every
    project module the cells import (with what those import, and their packages' ``__init__``),
    and each data file under ``snippets/data/`` that one of those modules names."""
    graph = graph or ProjectGraph(root / "snippets")
    modules, _ = graph.imported_by_source("\n\n".join(cells))
    files = [graph.modules[m].path.relative_to(root).as_posix() for m in modules]
    texts = "\n".join(graph.modules[m].path.read_text(encoding="utf-8") for m in modules)
    data = root / "snippets" / "data"
    if modules and data.is_dir():
        files += [p.relative_to(root).as_posix() for p in sorted(data.rglob("*")) if p.is_file() and p.name in texts]
    return sorted(files)


def setup_cell(cells, root: Path, graph: ProjectGraph | None = None) -> str | None:
    """The code of a first cell that writes ``carried_files`` next to the notebook (None when the
    cells need no project file): a zip of the files as the build read them, base64-encoded, with
    each file's SHA-256, so a reader can check that what they run is what the site's build ran."""
    files = {name: (root / name).read_bytes() for name in carried_files(cells, root, graph)}
    if not files:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    blob = base64.b64encode(buffer.getvalue()).decode()
    lines = textwrap.wrap(blob, 100)
    digests = "\n".join(f"#   {hashlib.sha256(data).hexdigest()[:16]}  {name}" for name, data in files.items())
    return (
        "# The site's own code that this notebook imports, carried inside it so that it runs in an\n"
        "# empty folder (or on Colab): this cell writes these files next to the notebook, exactly as\n"
        "# the site's build ran them (SHA-256, first 16 hex digits):\n"
        f"{digests}\n"
        "import base64, hashlib, io, pathlib, warnings, zipfile\n\n"
        "# tqdm (imported by timm) warns that Jupyter widgets are missing; no progress bar is used\n"
        'warnings.filterwarnings("ignore", message="IProgress not found")\n'
        "PROJECT_FILES = (\n" + "\n".join(f'    "{line}"' for line in lines) + "\n)\n"
        "with zipfile.ZipFile(io.BytesIO(base64.b64decode(PROJECT_FILES))) as z:\n"
        "    for name in z.namelist():\n"
        "        data = z.read(name)\n"
        "        path = pathlib.Path(name)\n"
        "        path.parent.mkdir(parents=True, exist_ok=True)\n"
        "        path.write_bytes(data)\n"
        "        print(hashlib.sha256(data).hexdigest()[:16], name)\n"
    )


# --- worker side (imports nbformat, nbclient, mkdocs-jupyter) ----------------------------------


def execute(cells, raises=(), title: str = "", setup: str | None = None, env: dict | None = None,
            reruns=(), timings: dict[str, float] | None = None, paths: dict[str, str] | None = None) -> dict:
    """A notebook of ``cells``, executed in a fresh kernel in an empty folder; returns its JSON.

    ``setup``, if given, is the first cell (id and tag ``setup``): it writes the project files
    the cells import. The kernel starts in a new empty folder, with no ``PYTHONPATH``: a cell that
    imports from the repository without its setup fails here, as it would for a reader.

    ``reruns`` (:func:`rerun_cells`) go between the listings, each after its listing, calling
    ``rerun`` without a language (:func:`for_language` adds it); ``timings``: the seconds each
    values job took the build, by id; a cell whose values not computed before took a minute or
    more says so.

    ``raises`` lists ``(cell, exception name)`` (indices into ``cells``): those cells carry
    nbclient's ``raises-exception`` tag, and must raise exactly that exception (the page shows
    it on purpose). Any other exception, or a declared cell that raises nothing or something
    else, is a :class:`NotebookError` naming ``title`` (the article), the cell and the exception.

    The kernel talks to this process over IPC (Unix sockets in a private folder), not TCP: a
    build in a sandbox whose loopback network is down still runs its notebooks. ``env``: variables
    to set for the kernel on top of this process's.

    The outputs hold no path of this machine: the kernel's folder becomes ``.`` (a traceback's
    ``snippets/vit/model.py`` is the reader's), and each of ``paths`` (a folder of this machine ->
    what to show instead) is replaced too, so a notebook's bytes do not depend on where it ran.
    """
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.v4.new_notebook()
    names = []  # how an error message names each cell
    if setup:
        nb.cells.append(nbformat.v4.new_code_cell(setup, id=SETUP_ID, metadata={"tags": [SETUP_ID]}))
        names.append("the setup cell")
    declared, computed, raising = {}, set(), {int(c): n for c, n in raises}
    for i in range(len(cells) + 1):
        if i:
            nb.cells.append(nbformat.v4.new_code_cell(cells[i - 1], id=f"cell-{i - 1}"))
            names.append(f"notebook cell {i - 1}")
            if (name := raising.get(i - 1)) is not None:
                declared[len(nb.cells) - 1] = (i - 1, name)
                nb.cells[-1].metadata["tags"] = ["raises-exception"]
        for r in (r for r in reruns if r["after"] == i):
            seconds = sum((timings or {}).get(j, 0) for j in r["values"] if j not in computed)
            took = round(seconds / 60) if seconds >= 60 else 0  # said when it takes a minute or more
            computed.update(r["values"])  # a reader's kernel computes each only once (rerun's memo)
            meta = {"tags": [RERUN_TAG], RERUN_TAG: {"job": r["job"], "kind": r["kind"], "function": r["function"],
                                                     "minutes": took}}
            nb.cells.append(nbformat.v4.new_code_cell(f"{r['code']}\n\n\nrerun({r['function']})",
                                                      id=f"{RERUN_TAG}-{r['job']}", metadata=meta))
            names.append(f"the cell that redraws {r['job']}")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    where = f"{title}: " if title else ""
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, **(env or {})}
    with tempfile.TemporaryDirectory(prefix="notebook-") as folder:
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(folder) / ".kernel-ipc"))
        run_in = Path(folder) / "run"
        run_in.mkdir()
        client = NotebookClient(nb, km=km, timeout=900, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": str(run_in)}})
        try:
            client.execute(env=env)
        except CellExecutionError as exc:  # say which cell, without the terminal colours
            text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
            name = next((names[i] for i, c in enumerate(nb.cells) if _error(c) and i not in declared), "a cell")
            raise NotebookError(f"{where}{name} raised {exc.ename}: {exc.evalue}\n{text}") from None
        # Paths of this machine are no part of the result (the bytes must not depend on where the
        # build ran): the run folder becomes the reader's current folder, and ``paths`` map others.
        swaps = sorted({**(paths or {}), f"{run_in}/": "", str(run_in): "."}.items(), key=lambda kv: -len(kv[0]))
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.from_dict(_swap(output, swaps)) for output in cell.outputs]
    for i, (listing, name) in declared.items():
        error = _error(nb.cells[i])
        got = f"{error['ename']}: {error['evalue']}" if error else "no exception"
        if error is None or error["ename"] != name:
            raise NotebookError(f"{where}notebook cell {listing} should raise {name} (the listing's job declares "
                                f"raises={name!r}), but it gave {got}\n\n{nb.cells[i].source}")
    nbformat.validate(nb)
    return json.loads(nbformat.writes(nb))


def _swap(value, swaps):
    """``value`` (a cell output) with every ``old`` of ``swaps`` in its strings replaced by ``new``."""
    if isinstance(value, str):
        for old, new in swaps:
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_swap(v, swaps) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, swaps) for k, v in value.items()}
    return value


def build(params: dict, title: str, values: dict[str, Path], out: Path) -> None:
    """The notebook job (run by the worker): execute the article's notebook, with the cache
    entries of the ``values`` jobs its figure and table cells read, and write the executed
    notebook and its rendering per language into ``out``."""
    timings = {job: json.loads((Path(entry) / "manifest.json").read_text(encoding="utf-8")).get("seconds", 0)
               for job, entry in values.items()}
    env = {BUILD_VALUES: json.dumps({job: str(entry) for job, entry in values.items()}),
           BUILD_LANGS: ",".join(params["langs"])}
    # a cell that shows a values job's files shows where a reader's run keeps them (rerun/<job>/)
    paths = {str(entry): f"{RERUN_FOLDER}/{job}" for job, entry in values.items()}
    executed = execute(params["cells"], raises=params["raises"], title=title, setup=params.get("setup"), env=env,
                       reruns=params.get("reruns", ()), timings=timings, paths=paths)
    path = out / "notebook.ipynb"
    path.write_text(json.dumps(executed, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    parts, css = [], ""
    for lang in params["langs"]:
        html, css = render_html(for_language(executed, lang))
        parts.append(f"{HTML_PART.format(lang=lang)}\n{html}")
    (out / "notebook.html").write_text("".join(parts), encoding="utf-8")
    (out / "notebook.css").write_text(css, encoding="utf-8")


RERUN_FOLDER = "rerun"  # where a reader's `rerun` keeps its results, next to the notebook (rerun.FOLDER)
HTML_PART = "<!-- notebook: {lang} -->"  # notebook.html holds one rendering per language, each after this


def html_for(text: str, lang: str) -> str:
    """The rendering of one language out of a notebook job's ``notebook.html``."""
    start = text.index(HTML_PART.format(lang=lang)) + len(HTML_PART.format(lang=lang)) + 1
    end = text.find("<!-- notebook: ", start)
    return text[start:] if end < 0 else text[start:end]


def run_downloaded(path: Path) -> float:
    """Run a downloaded notebook as a reader would: its code cells, top to bottom, in an empty
    folder with nothing of the repository on the path and torch on one thread (``make
    notebooks``; the upstream canary's cold build runs them all too). The cells that show an
    error on purpose must show the same one again. Returns the seconds it took."""
    import time

    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    setup = next(("".join(c["source"]) for c in code if c.get("id") == SETUP_ID), None)
    listings = [c for c in code if c.get("id") != SETUP_ID]
    raises = [(i, _error(c)["ename"]) for i, c in enumerate(listings) if _error(c) is not None]
    one_thread = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    start = time.perf_counter()
    execute(["".join(c["source"]) for c in listings], raises=raises, title=str(path), setup=setup, env=one_thread)
    return time.perf_counter() - start


def _error(cell) -> dict | None:
    return next((o for o in cell.get("outputs", ()) if o.get("output_type") == "error"), None)


_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
_MERMAID = re.compile(r"<script type=\"module\">\s*document\.addEventListener\(\"DOMContentLoaded\".*?</script>", re.S)


_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)


def render_html(nb: dict) -> tuple[str, str]:
    """The notebook (one language's, :func:`for_language`) as HTML by mkdocs-jupyter's converter
    (its template and styles), and the styles apart: ``(html, css)``. The setup cell is left out.

    nbconvert's MathJax loader and its mermaid loader are taken out: the site typesets math
    with its own KaTeX, which covers notebook cells too, there are no diagrams, and both name a
    CDN (the site loads nothing from a third-party origin). The styles (about 600 kB, the same
    for every notebook) go to one shared stylesheet instead of every page, and out of the text
    that search indexes.
    """
    from mkdocs_jupyter import convert

    nb = dict(nb, cells=[c for c in nb["cells"] if c.get("id") != SETUP_ID])  # not the setup cell
    with tempfile.TemporaryDirectory() as tmp:
        shown = Path(tmp) / "notebook.ipynb"
        shown.write_text(json.dumps(nb), encoding="utf-8")
        html = convert.nb2html(str(shown), execute=False, theme="light", custom_mathjax_url="")
    html = _MERMAID.sub("", _MATHJAX.sub("", html))
    css = "\n".join(m.strip() for m in _STYLE.findall(html))
    return _STYLE.sub("", html).strip() + "\n", css + "\n"


# --- per language (MkDocs side, plain JSON) --------------------------------------------------


def for_language(executed: dict, lang: str) -> dict:
    """The executed notebook as a reader of ``lang`` gets it: each cell that redraws a figure or
    recomputes a table opens with a comment in ``lang`` and calls ``rerun`` in ``lang``, and keeps
    the pictures drawn in ``lang`` only (the build drew one per language)."""
    nb = copy.deepcopy(executed)
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get(RERUN_TAG)
        if meta is None:
            continue
        comment = ui.text(f"rerun_{meta['kind']}", lang, job=meta["job"])
        if meta["minutes"] >= 1:
            comment += "\n" + ui.text("rerun_took", lang, minutes=meta["minutes"])
        code = "".join(cell["source"]).rsplit("\n\n\n", 1)[0]
        call = f'rerun({meta["function"]}, lang="{lang}")' if meta["kind"] == "figure" else f"rerun({meta['function']})"
        cell["source"] = "\n".join("# " + line for line in comment.split("\n")) + "\n" + code + "\n\n\n" + call
        cell["outputs"] = [o for o in cell["outputs"] if o.get("metadata", {}).get("lang", lang) == lang]
    return nb


def localized(executed: dict, lang: str, title: str, article_url: str) -> dict:
    """The executed notebook for ``lang`` (:func:`for_language`), with a title cell in ``lang``
    that links back to the article."""
    nb = for_language(executed, lang)
    header = {"cell_type": "markdown", "id": "title", "metadata": {},
              "source": ui.text("notebook_header", lang, title=title, url=article_url)}
    nb["cells"] = [header] + nb["cells"]
    return nb


def code_cells(nb: dict, setup: bool = False, reruns: bool = False) -> list[str]:
    """The code of the notebook's cells: the listings, with the setup cell first if ``setup``
    and the cells that redraw figures and tables if ``reruns``."""
    def wanted(c):
        kind = "setup" if c.get("id") == SETUP_ID else "rerun" if RERUN_TAG in c["metadata"].get("tags", ()) \
            else "listing"
        return c["cell_type"] == "code" and {"setup": setup, "rerun": reruns, "listing": True}[kind]

    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"] if wanted(c)]
