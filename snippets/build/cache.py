"""The job cache: content-addressed entries under ``.cache/`` (or ``$DOCS_CACHE_DIR``).

An entry lives at ``<cache>/jobs/<job id>/<key>/`` and holds the job's artifacts and a
``manifest.json``. The key is the sha256 of everything the result depends on (DESIGN.md,
contract 3): the job's declaration and parameters, the source of its module and of every
project module that module imports, the data files it declares, the files outside the
repository it declares (``external=``, see :func:`external_files`), the versions of the
libraries those modules import, the keys of the jobs it needs, the runner code, and Python.
Nothing else goes in, so editing prose changes no key.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import platform
import re
import shutil
import sys
from pathlib import Path

from .deps import ProjectGraph, library_versions, sha256_file
from .jobs import JobSpec

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../snippets
REPO_ROOT = PACKAGE_DIR.parent
# The code that turns a job's return value into files; editing it changes those files.
RUNNER_FILES = {
    "figure": ("worker.py", "theme.py", "variants.py"),
    "output": ("worker.py",),
    "values": ("worker.py",),
    "notebook": ("worker.py", "notebooks.py"),
}
# What executes and renders a notebook, whatever the cells import.
NOTEBOOK_LIBRARIES = ("nbclient", "nbformat", "ipykernel", "mkdocs_jupyter")
# What draws every figure, whatever the job imports: matplotlib and the fonts it is given.
FIGURE_LIBRARIES = ("matplotlib", "koreanize_matplotlib")
MANIFEST = "manifest.json"
SHARD_ENV = "MODEL_NOTES_SHARD"  # "I/N" while a shard of a sharded build runs (snippets/build/shards.py)


def cache_root() -> Path:
    env = os.environ.get("DOCS_CACHE_DIR")
    return Path(env).resolve() if env else REPO_ROOT / ".cache"


_VARIABLE = re.compile(r"\$(\w+|\{[^}]*\})")


def external_files(patterns, root: Path) -> dict[str, list]:
    """Per ``external=`` pattern, the files it matches now, sorted: ``[path, size, mtime_ns]``.

    A pattern is expanded as a shell would (``$VAR``, ``${VAR}``, ``~``) and then globbed; a
    relative result is taken from ``root``, where the worker runs jobs. A pattern that names an
    unset or empty variable matches nothing: ``"$WEIGHTS"`` with ``WEIGHTS=""`` must not become
    the current folder, nor ``"$CACHE/x"`` the root's ``/x``. Only files match (a folder does
    not); symlinks are followed, as the Hugging Face cache links snapshots to blobs.

    Size and modification time stand for the content instead of a sha256: weights files are
    large (a ViT-B checkpoint is 350 MB) and every build, every ``make serve`` rebuild included,
    computes every key. Replacing or editing a file changes its mtime; a mere ``touch`` re-runs
    the job once, which is harmless.
    """
    found = {}
    for pattern in patterns:
        names = [m.group(1).strip("{}") for m in _VARIABLE.finditer(pattern)]
        matches = []
        if all(os.environ.get(name) for name in names):
            expanded = os.path.expanduser(os.path.expandvars(pattern))
            for path in sorted(glob.glob(os.path.join(root, expanded))):
                if os.path.isfile(path):
                    stat = os.stat(path)
                    matches.append([path, stat.st_size, stat.st_mtime_ns])
        found[pattern] = matches
    return found


def key_inputs(spec: JobSpec, graph: ProjectGraph, need_keys: dict[str, str], *, memo_dir: Path,
               quick: bool = False) -> dict:
    """Everything the job's result depends on (see the module docstring). ``quick``: the job
    runs with its quick profile (the test suite's), which gives it another key."""
    if spec.kind == "notebook":
        modules, tops = set(), set(NOTEBOOK_LIBRARIES)
        for cell in spec.params["cells"]:
            cell_modules, cell_tops = graph.imported_by_source(cell)
            modules.update(cell_modules)
            tops.update(cell_tops)
        modules = sorted(modules)
        tops |= graph.external_imports(modules)
    else:
        modules = graph.closure(spec.module)
        tops = graph.external_imports(modules)
        if spec.kind == "figure":
            tops |= set(FIGURE_LIBRARIES)
    data = {}
    for name in spec.data:
        path = graph.package_dir / "data" / name
        if not path.is_file():
            raise FileNotFoundError(
                f"job {spec.id!r} ({spec.where}) declares data file {name!r}, "
                f"but {path} does not exist")
        data[name] = sha256_file(path)
    here = Path(__file__).parent
    inputs = {
        "job": {"id": spec.id, "kind": spec.kind, "module": spec.module, "function": spec.function,
                "needs": list(spec.needs), "params": spec.params},
        "modules": {name: graph.modules[name].digest for name in modules},
        "data": data,
        "external": external_files(spec.external, graph.package_dir.parent),
        "needs": need_keys,
        "libraries": library_versions(tops, memo_dir),
        "runner": {name: sha256_file(here / name) for name in RUNNER_FILES[spec.kind]},
        "python": f"{sys.version_info.major}.{sys.version_info.minor} {platform.machine()}",
    }
    if quick:
        inputs["quick"] = spec.quick
    return inputs


def compute_key(inputs: dict) -> str:
    blob = json.dumps(inputs, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


class Cache:
    def __init__(self, root: Path | None = None):
        self.root = (root or cache_root()) / "jobs"

    def entry(self, job_id: str, key: str) -> Path:
        return self.root / job_id / key


    def lookup(self, spec: JobSpec, key: str) -> Path | None:
        """The entry's folder when it is complete, else None."""
        folder = self.entry(spec.id, key)
        names = [MANIFEST, *spec.artifacts]
        return folder if all((folder / n).is_file() for n in names) else None

    def staging(self, job_id: str, key: str) -> Path:
        """An empty folder to write a new entry into; :meth:`commit` moves it in place."""
        tmp = self.root / job_id / f".tmp-{key}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        return tmp

    def commit(self, tmp: Path, job_id: str, key: str, manifest: dict) -> Path:
        """Put a finished run in place. It replaces an entry already there under the same key:
        ``run --force`` re-runs a job on purpose (a timing job, say), and its new files must win.

        The manifest also records the SHA-256 of every file (``files``), so an entry copied from
        another machine can be checked whole (:func:`snippets.build.shards.verify`), and the shard
        that made it (``shard``, "I/N") when a sharded build runs it."""
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file() and p.name != MANIFEST)
        manifest = {**manifest, "files": {name: sha256_file(tmp / name) for name in files}}
        if os.environ.get(SHARD_ENV):
            manifest["shard"] = os.environ[SHARD_ENV]
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        final = self.entry(job_id, key)
        if final.exists():
            old = final.with_name(f".old-{key}-{os.getpid()}")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
        return final

    def prune(self, keep: dict[str, str]) -> list[Path]:
        """Remove entries other than ``keep`` (job id -> current key). Returns what was removed."""
        removed = []
        if not self.root.is_dir():
            return removed
        for job_dir in sorted(self.root.iterdir()):
            for entry in sorted(job_dir.iterdir()):
                if keep.get(job_dir.name) != entry.name:
                    shutil.rmtree(entry)
                    removed.append(entry)
            if not any(job_dir.iterdir()):
                job_dir.rmdir()
        return removed
