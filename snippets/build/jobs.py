"""Build jobs: how they are declared, and how the build finds them without importing them.

A job is a function in a ``snippets`` module, marked with one of three decorators::

    @figure("gelu-curves", page="activations/gelu")          # fn(theme, **needs) -> Figure
    @output("gelu-table", page="activations/gelu")           # fn() prints; stdout is captured
    @values("gelu-approx-errors", page="activations/gelu")   # fn(**needs) -> dict of JSON values

Every decorator also takes ``needs=`` (ids of values jobs whose results are passed in),
``data=`` (files under ``snippets/data/`` the job reads) and ``external=`` (path patterns of
files outside the repository that the job may read, such as optional pretrained weights:
``external=("$MODEL_NOTES_WEIGHTS", "~/.cache/huggingface/hub/models--x/snapshots/*/model.safetensors")``;
the files they match are part of the job's key, see :func:`snippets.build.cache.external_files`).

At run time the decorators only attach their arguments to the function, so a job module
imports like any other module and its tests can call the functions directly.

The build does *not* import job modules to find the jobs: most of them import torch, and a
warm build must not (DESIGN.md, contract 3). Instead :func:`discover` reads the decorators
from the source with :mod:`ast`. That is why decorator arguments must be literals.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("figure", "output", "values")
JOB_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FORMATS = ("svg", "png")


class JobDeclarationError(ValueError):
    """A job decorator that the build cannot read (bad id, non-literal argument, ...)."""


@dataclass(frozen=True)
class JobSpec:
    """What the build knows about a job before running it."""

    id: str
    kind: str  # one of KINDS
    module: str  # dotted module name, e.g. "snippets.activations.gelu_figures"
    function: str
    path: Path  # source file of the module
    line: int
    page: str  # article the job belongs to, e.g. "activations/gelu"
    needs: tuple[str, ...] = ()  # ids of `values` jobs whose results are passed in
    data: tuple[str, ...] = ()  # files under snippets/data/ that the job reads
    external: tuple[str, ...] = ()  # path patterns outside the repository (see cache.external_files)
    params: dict = field(default_factory=dict)  # every other decorator argument

    @property
    def format(self) -> str:
        return self.params.get("format", "svg")

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


# --- the decorators (run time) -------------------------------------------------------------


def _declare(kind: str, job_id: str, *, page: str, needs=(), data=(), external=(), **params):
    if not JOB_ID.match(job_id):
        raise JobDeclarationError(f"job id must be kebab-case ([a-z0-9-]), got {job_id!r}")
    external = _checked_external(external, f"@{kind}({job_id!r})")

    def mark(fn):
        fn.__job__ = {"kind": kind, "id": job_id, "page": page, "needs": tuple(needs),
                      "data": tuple(data), "external": external, "params": params}
        return fn

    return mark


def _checked_external(patterns, where: str) -> tuple[str, ...]:
    """``external``: a tuple of non-empty path patterns, such as ``"$HF_HUB_CACHE/models--x/*/model.bin"``.

    A bare string would be iterated letter by letter, so it is refused rather than converted.
    """
    if not isinstance(patterns, tuple) or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise JobDeclarationError(f"{where}: external must be a tuple of non-empty path patterns, "
                                  f"got {patterns!r}")
    return patterns


def figure(job_id: str, *, page: str, needs=(), data=(), format: str = "svg", **params):
    """A figure job: ``fn(theme, **needs)`` returns a matplotlib Figure.

    It is rendered twice, once per theme (light and dark). ``format`` is ``"svg"`` for line
    plots and ``"png"`` for images and heatmaps.
    """
    if format not in FORMATS:
        raise JobDeclarationError(f"figure format must be one of {FORMATS}, got {format!r}")
    return _declare("figure", job_id, page=page, needs=needs, data=data, format=format, **params)


def output(job_id: str, *, page: str, needs=(), data=(), raises: str | None = None, **params):
    """An output job: what ``fn()`` prints is shown under the listing.

    With ``raises="RuntimeError"`` the function is expected to raise that exception; its
    real message is captured after the printed lines. Any other exception fails the job.
    """
    return _declare("output", job_id, page=page, needs=needs, data=data, raises=raises, **params)


def _checked_files(files, where: str) -> tuple[str, ...]:
    """The ``files`` of a values job: plain names, none taken by the cache entry's own files."""
    for name in files:
        if not isinstance(name, str) or "/" in name or name in ("values.json", "manifest.json"):
            raise JobDeclarationError(f"{where}: files must be plain file names, got {name!r}")
    return tuple(files)


def values(job_id: str, *, page: str, needs=(), data=(), files=(), **params):
    """A values job: ``fn(**needs)`` returns a dict of JSON values used in the prose.

    With ``files=("model.pt",)`` the job also writes those files (a trained checkpoint, say):
    it is called as ``fn(outdir=<folder>, **needs)`` and must write each one into ``outdir``.
    They are cached with its values, and a job that needs it finds their paths under
    ``<need>["files"][name]``.
    """
    if files:
        params["files"] = _checked_files(files, "@values")
    return _declare("values", job_id, page=page, needs=needs, data=data, **params)


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


def _literal(node: ast.AST, what: str, where: str):
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise JobDeclarationError(
            f"{where}: {what} must be a literal (the build reads it without importing the module), "
            f"got `{ast.unparse(node)}`"
        ) from None


def jobs_in_source(source: str, path: Path, module: str) -> list[JobSpec]:
    tree = ast.parse(source, filename=str(path))
    names = _decorator_names(tree)
    if not names:
        return []
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for dec in node.decorator_list:
            if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Name) and dec.func.id in names):
                continue
            kind = names[dec.func.id]
            where = f"{path}:{dec.lineno}"
            if len(dec.args) != 1:
                raise JobDeclarationError(f"{where}: @{kind} takes the job id as its only positional argument")
            job_id = _literal(dec.args[0], "the job id", where)
            kwargs = {kw.arg: _literal(kw.value, f"argument {kw.arg!r}", where) for kw in dec.keywords}
            if "page" not in kwargs:
                raise JobDeclarationError(f"{where}: @{kind}({job_id!r}) needs page=\"<section>/<slug>\"")
            if not isinstance(job_id, str) or not JOB_ID.match(job_id):
                raise JobDeclarationError(f"{where}: job id must be kebab-case ([a-z0-9-]), got {job_id!r}")
            page = kwargs.pop("page")
            needs = tuple(kwargs.pop("needs", ()))
            data = tuple(kwargs.pop("data", ()))
            external = _checked_external(kwargs.pop("external", ()), where)
            if kind == "values" and "files" in kwargs:
                files = kwargs.pop("files")
                if files:
                    kwargs["files"] = _checked_files(files, where)
            if kind == "figure":
                kwargs.setdefault("format", "svg")
                if kwargs["format"] not in FORMATS:
                    raise JobDeclarationError(f"{where}: figure format must be one of {FORMATS}")
            found.append(JobSpec(id=job_id, kind=kind, module=module, function=node.name, path=path,
                                 line=dec.lineno, page=page, needs=needs, data=data, external=external,
                                 params=kwargs))
    return found


def discover(package_dir: Path) -> dict[str, JobSpec]:
    """Every job declared under ``package_dir`` (the ``snippets`` folder), by id."""
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
