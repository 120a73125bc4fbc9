"""Build jobs: how they are declared, and how the build finds them without importing them.

A job is a function in an article module (``snippets/articles/<section>/<slug>.py``), marked
with one of three decorators::

    @figure("gelu-curves", page="activations/gelu")          # fn(theme, **needs) -> Figure
    @output("gelu-table", page="activations/gelu")           # fn() prints; stdout is captured
    @values("gelu-approx-errors", page="activations/gelu")   # fn(**needs) -> dict of JSON values

Every decorator also takes ``needs=`` (ids of values jobs whose results are passed in),
``data=`` (files under ``snippets/data/`` the job reads), ``external=`` (path patterns of
files outside the repository that the job may read, such as optional pretrained weights;
the files they match are part of the job's key, see :func:`snippets.build.cache.external_files`),
``timeout=`` (seconds before a running job is stopped and fails; :data:`DEFAULT_TIMEOUT`) and
``quick=`` (keyword arguments that make the job small, such as ``{"epochs": 2}``: the test
suite runs every job with them, see :func:`snippets.build.runner.ensure`).

At run time the decorators only check their arguments and attach them to the function, so a
job module imports like any other module and its tests can call the functions directly.

The build does *not* import job modules to find the jobs: most of them import torch, and a
warm build must not (DESIGN.md, contract 3). :func:`discover` reads the decorators from the
source with :mod:`ast` instead. So a decorator argument is a literal, or the name of a
module-level constant bound to a literal (``external=DEIT_WEIGHTS``). Both paths check a
declaration with the same function, :func:`declaration`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import variants

ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"  # a job id: kebab-case; the page syntax is built from it too
JOB_ID = re.compile(rf"^{ID}$")
PAGE = re.compile(r"^[a-z0-9-]+(?:/[a-z0-9-]+)+$")  # "<section>/<slug>"
KINDS = ("figure", "output", "values")
FORMATS = ("svg", "png")  # line plots as SVG, images and heatmaps as PNG
DEFAULT_TIMEOUT = 15 * 60  # seconds: a hung snippet must not freeze `make serve`
RESERVED_FILES = ("values.json", "manifest.json")  # the cache entry's own files
# Arguments every decorator takes, and those of one kind (with their defaults).
COMMON = ("page", "needs", "data", "external", "timeout", "quick")
KIND_PARAMS = {"figure": {"format": "svg"}, "output": {"raises": None}, "values": {"files": ()}}


class JobDeclarationError(ValueError):
    """A job decorator that the build cannot read (bad id, non-literal argument, ...)."""


@dataclass(frozen=True)
class JobSpec:
    """What the build knows about a job before running it."""

    id: str
    kind: str  # one of KINDS, or "notebook" (made by the build for each article)
    module: str  # dotted module name, e.g. "snippets.articles.activations.gelu"
    function: str
    path: Path  # source file of the module
    line: int  # the decorator's line
    page: str  # article the job belongs to, e.g. "activations/gelu"
    needs: tuple[str, ...] = ()  # ids of `values` jobs whose results are passed in
    data: tuple[str, ...] = ()  # files under snippets/data/ that the job reads
    external: tuple[str, ...] = ()  # path patterns outside the repository (see cache.external_files)
    timeout: float = DEFAULT_TIMEOUT
    quick: dict = field(default_factory=dict)  # keyword arguments of the quick profile
    params: dict = field(default_factory=dict)  # the kind's own arguments (format, raises, files)
    end_line: int = 0  # the function's last line (the page's "code for this figure" shows line..end_line)

    @property
    def format(self) -> str:
        return self.params.get("format", "svg")

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(self.params.get("files", ()))

    @property
    def artifacts(self) -> tuple[str, ...]:
        """The files the job writes into its cache entry, besides ``manifest.json``. A figure's
        variants are set by the plan, from the site's languages (:mod:`snippets.build.variants`)."""
        if self.kind == "figure":
            return tuple(variants.artifact(v, self.format) for v in self.params["variants"])
        if self.kind == "output":
            return ("output.txt",)
        if self.kind == "notebook":
            return ("notebook.ipynb", "notebook.html", "notebook.css")
        return ("values.json", *self.files)

    @property
    def where(self) -> str:
        """``module:line`` of the declaration, as error messages and ``make jobs`` show it."""
        return f"{self.path}:{self.line}"


def _fail(where: str, message: str):
    raise JobDeclarationError(f"{where}: {message}")


def _strings(value, what: str, where: str) -> tuple[str, ...]:
    """A tuple of non-empty strings. A bare string would be iterated letter by letter, so it is
    refused rather than converted."""
    if not isinstance(value, tuple) or not all(isinstance(v, str) and v.strip() for v in value):
        _fail(where, f"{what} must be a tuple of non-empty strings, got {value!r}")
    return value


def declaration(kind: str, args: tuple, kwargs: dict, where: str) -> dict:
    """Check one decorator call and return its parts (the fields of a :class:`JobSpec` other
    than where it is). The decorators call this at import time and :func:`discover` on the
    source, so both accept and refuse exactly the same declarations."""
    if len(args) != 1:
        _fail(where, f"@{kind} takes the job id as its only positional argument")
    job_id = args[0]
    if not isinstance(job_id, str) or not JOB_ID.match(job_id):
        _fail(where, f"job id must be kebab-case ([a-z0-9-]), got {job_id!r}")
    unknown = sorted(set(kwargs) - set(COMMON) - set(KIND_PARAMS[kind]))
    if unknown:
        _fail(where, f"@{kind}({job_id!r}) has no argument {', '.join(unknown)} "
                     f"(it takes {', '.join(COMMON + tuple(KIND_PARAMS[kind]))})")
    if "page" not in kwargs:
        _fail(where, f'@{kind}({job_id!r}) needs page="<section>/<slug>"')
    page = kwargs["page"]
    if not isinstance(page, str) or not PAGE.match(page):
        _fail(where, f'@{kind}({job_id!r}): page must look like "<section>/<slug>", got {page!r}')
    timeout = kwargs.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        _fail(where, f"@{kind}({job_id!r}): timeout must be a positive number of seconds, got {timeout!r}")
    quick = kwargs.get("quick", {})
    if not isinstance(quick, dict) or not all(isinstance(k, str) and k.isidentifier() for k in quick):
        _fail(where, f"@{kind}({job_id!r}): quick must be a dict of keyword arguments, got {quick!r}")
    params = {name: kwargs.get(name, default) for name, default in KIND_PARAMS[kind].items()}
    if kind == "figure" and params["format"] not in FORMATS:
        _fail(where, f"figure format must be one of {FORMATS}, got {params['format']!r}")
    if kind == "output" and params["raises"] is not None and not isinstance(params["raises"], str):
        _fail(where, f"@output({job_id!r}): raises must name an exception class, got {params['raises']!r}")
    if kind == "values":
        files = _strings(params["files"], "files", where)
        bad = [name for name in files if "/" in name or name in RESERVED_FILES]
        if bad:
            _fail(where, f"files must be plain file names other than {RESERVED_FILES}, got {bad[0]!r}")
        if not files:
            del params["files"]
    return {"id": job_id, "kind": kind, "page": page,
            "needs": _strings(kwargs.get("needs", ()), "needs", where),
            "data": _strings(kwargs.get("data", ()), "data", where),
            "external": _strings(kwargs.get("external", ()), "external", where),
            "timeout": timeout, "quick": quick, "params": params}


# --- the decorators (run time) -------------------------------------------------------------


def _decorator(kind: str):
    def decorator(*args, **kwargs):
        where = f"@{kind}({args[0]!r})" if args else f"@{kind}"
        declared = declaration(kind, args, kwargs, where)

        def mark(fn):
            fn.__job__ = declared
            return fn

        return mark

    decorator.__name__ = decorator.__qualname__ = kind
    return decorator


figure = _decorator("figure")
figure.__doc__ = """A figure job: ``fn(theme, **needs)`` returns a matplotlib Figure.

It is drawn once per variant (each language of the site × light and dark), with ``theme.lang``
and ``theme.text(ko=..., en=...)`` for the words in it. A figure whose drawing needs a real
computation writes it as a generator instead, ``fn(variants, **needs)``, computing once and
yielding one Figure per theme in ``variants``. ``format="svg"`` for line plots, ``"png"`` for
images and heatmaps."""
output = _decorator("output")
output.__doc__ = """An output job: what ``fn()`` prints is shown under the listing.

With ``raises="RuntimeError"`` the function is expected to raise that exception; its real
message is captured after the printed lines. Any other exception fails the job."""
values = _decorator("values")
values.__doc__ = """A values job: ``fn(**needs)`` returns a dict of JSON values used in the prose.

With ``files=("model.pt",)`` the job also writes those files (a trained checkpoint, say): it is
called as ``fn(outdir=<folder>, **needs)`` and must write each one into ``outdir``. They are
cached with its values, and a job that needs it finds their paths under ``<need>["files"][name]``."""


# --- static discovery (build time) ---------------------------------------------------------


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _decorator_names(tree: ast.Module) -> dict[str, str]:
    """Local names bound to our decorators by ``from snippets.build import ...``."""
    names = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in ("snippets.build", "snippets.build.jobs"):
            for alias in node.names:
                if alias.name in KINDS:
                    names[alias.asname or alias.name] = alias.name
    return names


def _constants(tree: ast.Module) -> dict[str, object]:
    """Module-level names bound to a literal (``DEIT_WEIGHTS = ("$X", "~/y")``)."""
    found = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AnnAssign) and node.value is not None else []
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    found[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    found.pop(target.id, None)  # bound to something else: not a constant
    return found


def _argument(node: ast.AST, constants: dict, what: str, where: str):
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    try:
        return ast.literal_eval(node)
    except ValueError:
        _fail(where, f"{what} must be a literal or a module-level constant bound to one (the build "
                     f"reads it without importing the module), got `{ast.unparse(node)}`")


def jobs_in_source(source: str, path: Path, module: str) -> list[JobSpec]:
    tree = ast.parse(source, filename=str(path))
    names = _decorator_names(tree)
    if not names:
        return []
    constants = _constants(tree)
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for dec in node.decorator_list:
            if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Name) and dec.func.id in names):
                continue
            where = f"{path}:{dec.lineno}"
            args = tuple(_argument(a, constants, "the job id", where) for a in dec.args)
            kwargs = {kw.arg: _argument(kw.value, constants, f"argument {kw.arg!r}", where) for kw in dec.keywords}
            declared = declaration(names[dec.func.id], args, kwargs, where)
            found.append(JobSpec(module=module, function=node.name, path=path, line=dec.lineno,
                                 end_line=node.end_lineno, **declared))
    return found


def discover(package_dir: Path, pages: set[str] | None = None) -> dict[str, JobSpec]:
    """Every job declared under ``package_dir`` (the ``snippets`` folder), by id.

    ``pages``: the site's pages (``"activations/gelu"``, ...); when given, a job whose ``page=``
    names none of them is an error.
    """
    root = package_dir.parent
    jobs: dict[str, JobSpec] = {}
    for path in sorted(package_dir.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "snippets.build" not in source:
            continue
        for spec in jobs_in_source(source, path, module_name(path, root)):
            if spec.id in jobs:
                raise JobDeclarationError(
                    f"job id {spec.id!r} is declared twice: {jobs[spec.id].where} and {spec.where}")
            if pages is not None and spec.page not in pages:
                raise JobDeclarationError(
                    f"{spec.where}: job {spec.id!r} names page {spec.page!r}, but there is no such page "
                    f"(docs/{spec.page}.<lang>.md); pages: {', '.join(sorted(pages))}")
            jobs[spec.id] = spec
    for spec in jobs.values():
        for need in spec.needs:
            if need not in jobs:
                raise JobDeclarationError(f"{spec.where}: job {spec.id!r} needs unknown job {need!r}")
            if jobs[need].kind != "values":
                raise JobDeclarationError(
                    f"{spec.where}: job {spec.id!r} needs {need!r}, a {jobs[need].kind} job; "
                    "only values jobs can be needed")
    _check_acyclic(jobs)
    return jobs


def _check_acyclic(jobs: dict[str, JobSpec]) -> None:
    state: dict[str, int] = {}

    def visit(job_id: str, chain: list[str]):
        if state.get(job_id) == 2:
            return
        if state.get(job_id) == 1:
            raise JobDeclarationError("jobs need each other in a cycle: " + " -> ".join(chain + [job_id]))
        state[job_id] = 1
        for need in jobs[job_id].needs:
            visit(need, chain + [job_id])
        state[job_id] = 2

    for job_id in jobs:
        visit(job_id, [])


def topological(jobs: dict[str, JobSpec], wanted) -> list[str]:
    """``wanted`` and what they need, each after its needs, in a stable order."""
    order: list[str] = []

    def visit(job_id: str):
        if job_id in order:
            return
        for need in jobs[job_id].needs:
            visit(need)
        order.append(job_id)

    for job_id in sorted(wanted):
        visit(job_id)
    return order
