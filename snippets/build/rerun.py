"""Run one build job again, outside the build, the way the build ran it: what a companion
notebook's "redraw this figure" cells call (:func:`snippets.build.notebooks.rerun_cell`).

``rerun(job)`` takes a job function (decorated with ``@figure``, ``@values`` or ``@output``),
runs the values jobs it needs first (each once per session), then the job itself, each seeded
with the worker's :func:`~snippets.build.worker.seed_everything` and on one torch thread, and
writes what the build's cache entry holds into ``rerun/<job-id>/`` next to the notebook: a
figure's file for one language in the light theme, ``values.json`` and a values job's own files,
or ``output.txt``. The writing is the worker's own code (its ``_figure``, ``_values`` and
``_output``), not a copy of it, so the same code and seeds give the same numbers and the same
figure bytes as the page (``tests/site/test_site.py`` checks that on the GELU notebook).

A needed job is looked up by its id among the functions visible where the job was defined (a
notebook that redefines a values job uses its own version), then in the article modules
already imported. A values job runs once per session for the same code (its compiled code and
defaults, wherever it was defined): a notebook that redraws a figure and then the table of the
same values does not train twice. ``rerun(job, again=True)`` runs it anew.

At build time the notebook job executes these cells too (DESIGN.md, contract 7) with two
variables set for its kernel: ``$MODEL_NOTES_BUILD_VALUES`` maps the ids of the values jobs the
cells read to their cache entries, so a values job is read from the build's own result of the
same code instead of being trained a second time (the cell says so in its output), and
``$MODEL_NOTES_BUILD_LANGS`` lists the site's languages, so a figure is drawn in each, every
picture tagged with its language for that language's notebook. A reader's kernel has neither.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
from pathlib import Path
from types import CodeType

from .notebooks import BUILD_LANGS, BUILD_VALUES, RERUN_FOLDER  # set by the build for a notebook's kernel, see above

FOLDER = Path(RERUN_FOLDER)  # relative to the notebook's folder (the kernel's working directory)
_results: dict[str, dict] = {}  # values already computed in this session, by _fingerprint


def _spec(job) -> dict:
    spec = getattr(job, "__job__", None)
    if spec is None:
        raise ValueError(f"rerun() takes a job function (decorated with @figure, @values or @output), "
                         f"got {job!r}")
    return spec


def _find(job_id: str, near) -> object:
    """The job function with id ``job_id``: among the names visible to ``near``, else in the
    article modules imported so far."""
    places = [near.__globals__] + [vars(m) for name, m in list(sys.modules.items())
                                   if name.startswith("snippets.articles.") and m is not None]
    for names in places:
        for value in list(names.values()):
            if callable(value) and getattr(value, "__job__", {}).get("id") == job_id:
                return value
    raise ValueError(f"job {_spec(near)['id']!r} needs {job_id!r}, but no function with that job id is "
                     "defined here or in an imported article module: run the cell that defines it first")


class Values(dict):
    """A values job's result: a plain dict, shown in a notebook with long lists cut short."""

    def _repr_pretty_(self, printer, cycle):
        printer.text(_short(dict(self)))


def _short(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        shown = ", ".join(_short(v) for v in value[:4])
        return f"[{shown}, … {len(value)} items]" if len(value) > 6 else "[" + ", ".join(map(_short, value)) + "]"
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def _from_build(spec: dict) -> dict | None:
    """The build's result of this values job, when a build runs the notebook."""
    entry = json.loads(os.environ.get(BUILD_VALUES) or "{}").get(spec["id"])
    if entry is None:
        return None
    result = json.loads((Path(entry) / "values.json").read_text(encoding="utf-8"))
    if spec["params"].get("files"):
        result["files"] = {name: str(Path(entry) / name) for name in spec["params"]["files"]}
    print(f"{spec['id']}: the build's result of this code, read from its cache, not trained again")
    return result


def _code(code: CodeType) -> CodeType:
    """``code`` without where it was defined (file and first line), nested code too."""
    consts = tuple(_code(c) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_filename="", co_firstlineno=1, co_consts=consts)


def _fingerprint(job) -> str:
    """The same for the same job id, compiled code and defaults, in a module or a notebook."""
    parts = (_spec(job)["id"], marshal.dumps(_code(job.__code__)), repr(job.__defaults__), repr(job.__kwdefaults__))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _needs(job) -> dict:
    args = {}
    for need_id in _spec(job)["needs"]:
        result = rerun(_find(need_id, job), show=False)
        args[need_id.replace("-", "_")] = json.loads(json.dumps(result))  # a fresh copy, like the build's
    return args


def rerun(job, lang: str = "en", *, show: bool = True, again: bool = False, folder: Path | str = FOLDER):
    """Run ``job`` as the build does and return what it made: a figure (shown in a notebook),
    the values dict, or the printed text. ``lang``: the language of a figure's words (a
    language of the site: "ko" or "en"); ``again``: run a values job even if the same code ran
    in this session already; ``folder``: where the results go, one folder per job."""
    import matplotlib

    backend = matplotlib.get_backend()
    from . import worker
    from .theme import FONTS

    if matplotlib.get_backend() != backend:  # importing the build's theme chose Agg: keep the notebook's
        matplotlib.use(backend)
    spec = _spec(job)
    if spec["kind"] == "values" and not again and _fingerprint(job) in _results:
        return Values(json.loads(json.dumps(_results[_fingerprint(job)])))  # a copy: the caller may change it
    langs = os.environ[BUILD_LANGS].split(",") if os.environ.get(BUILD_LANGS) else [lang]
    for each in langs:
        if each not in FONTS:
            raise ValueError(f"lang must be a language the figures are drawn in ({', '.join(FONTS)}), got {each!r}")
    if spec["kind"] == "values" and (built := _from_build(spec)) is not None:
        _results[_fingerprint(job)] = built
        return Values(json.loads(json.dumps(built)))
    args = _needs(job)
    out = Path(folder) / spec["id"]
    out.mkdir(parents=True, exist_ok=True)
    item = {"id": spec["id"], "params": {**spec["params"], "variants": [f"{each}-light" for each in langs]}}
    torch = sys.modules.get("torch")  # a job that uses torch imports it at the top, as the worker expects
    threads = torch.get_num_threads() if torch else None
    try:
        if torch:
            torch.set_num_threads(1)  # as the worker runs every job
        worker.seed_everything()
        {"figure": worker._figure, "output": worker._output, "values": worker._values}[spec["kind"]](
            job, args, item, out)
    finally:
        if torch:
            torch.set_num_threads(threads)
    if spec["kind"] == "values":
        result = json.loads((out / "values.json").read_text(encoding="utf-8"))
        if spec["params"].get("files"):
            result["files"] = {name: str(out / name) for name in spec["params"]["files"]}
        _results[_fingerprint(job)] = result
        return Values(json.loads(json.dumps(result)))
    if spec["kind"] == "output":
        text = (out / "output.txt").read_text(encoding="utf-8")
        if show:
            print(text, end="")
            return None
        return text
    paths = {each: out / f"{each}-light.{spec['params']['format']}" for each in langs}
    if not show:
        return paths[langs[0]]
    try:
        from IPython.display import SVG, Image, display
    except ImportError:  # not in a notebook
        return paths[langs[0]]
    shown = {each: SVG(filename=str(p)) if p.suffix == ".svg" else Image(filename=str(p)) for each, p in paths.items()}
    if os.environ.get(BUILD_LANGS):  # one picture per language, each for its language's notebook
        for each, picture in shown.items():
            display(picture, metadata={"lang": each})
        return None
    return shown[lang]
