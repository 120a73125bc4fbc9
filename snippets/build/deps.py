"""What a job depends on, found without importing anything: project modules, data, libraries.

The import graph is read from the source with :mod:`ast` (``import x``, ``from x import y``,
relative imports, imports inside functions). It over-approximates on purpose: an import
behind an ``if`` still counts, so a cached result is never stale. Third-party imports are
mapped to their installed distributions, and a distribution's version covers the versions of
what it requires in turn (timm -> torch -> ...).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata as md
import json
import os
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .jobs import module_name


@dataclass(frozen=True)
class ModuleInfo:
    name: str
    path: Path
    digest: str  # sha256 of the file's bytes
    imports: frozenset[str]  # absolute dotted names, as written (may be a module or a symbol in one)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


class ProjectGraph:
    """The ``snippets`` package's modules and their imports, read once per build."""

    def __init__(self, package_dir: Path):
        self.package_dir = package_dir
        self.root = package_dir.parent
        self.modules: dict[str, ModuleInfo] = {}
        for path in sorted(package_dir.rglob("*.py")):
            data = path.read_bytes()
            name = module_name(path, self.root)
            tree = ast.parse(data, filename=str(path))
            self.modules[name] = ModuleInfo(name, path, hashlib.sha256(data).hexdigest(),
                                            frozenset(_imports(tree, name, path.name == "__init__.py")))

    def _resolve(self, dotted: str) -> str | None:
        """The project module an imported name lives in (``a.b.func`` -> ``a.b``), if any."""
        parts = dotted.split(".")
        while parts:
            name = ".".join(parts)
            if name in self.modules:
                return name
            parts.pop()
        return None

    def closure(self, module: str) -> list[str]:
        """``module`` and every project module it imports, directly or not, with their parents."""
        return self.closure_of([module])

    def imported_by_source(self, source: str) -> tuple[list[str], set[str]]:
        """For code that is not a module (a notebook cell): the project modules it needs
        (with what they import) and the top-level names of the other libraries it imports."""
        imports = _imports(ast.parse(source), "__main__", False)
        project = sorted({m for m in map(self._resolve, imports) if m is not None})
        tops = {name.split(".")[0] for name in imports}
        tops = {t for t in tops if t and t != self.package_dir.name and t not in sys.stdlib_module_names}
        return self.closure_of(project), tops

    def closure_of(self, modules) -> list[str]:
        seen: set[str] = set()
        todo = list(modules)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            parts = name.split(".")
            for i in range(1, len(parts)):  # importing a.b.c runs a/__init__ and a/b/__init__
                parent = ".".join(parts[:i])
                if parent in self.modules:
                    todo.append(parent)
            for imported in self.modules[name].imports:
                target = self._resolve(imported)
                if target is not None:
                    todo.append(target)
        return sorted(seen)

    def external_imports(self, modules) -> set[str]:
        """Top-level names of the non-project, non-stdlib modules that ``modules`` import."""
        tops = set()
        for name in modules:
            for imported in self.modules[name].imports:
                top = imported.split(".")[0]
                if top and top != self.package_dir.name and top not in sys.stdlib_module_names:
                    tops.add(top)
        return tops


def _installed_fingerprint() -> str:
    """Names of the installed ``*.dist-info`` folders (they carry versions): cheap to list."""
    names = []
    for entry in sys.path:
        folder = Path(entry or ".")
        if folder.is_dir():
            names.extend(p.name for p in folder.glob("*.dist-info"))
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()[:16]


_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _dist_closure(dist_name: str) -> dict[str, str]:
    """Version of a distribution and of everything it requires, installed ones only."""
    seen: dict[str, str] = {}
    todo = [dist_name]
    while todo:
        name = _canonical(todo.pop())
        if name in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen[name] = dist.version
        for req in dist.requires or ():
            if "extra ==" in req:  # optional extras are not installed by the requirement itself
                continue
            m = _REQ_NAME.match(req)
            if m:
                todo.append(m.group(1))
    return dict(sorted(seen.items()))


@cache
def _library_index(memo_dir: Path) -> dict[str, dict[str, str]]:
    """Import name -> {distribution: version} for it and what it requires.

    ``packages_distributions()`` reads every RECORD file (about a second with torch
    installed), so the index is kept on disk under ``memo_dir``, one file per set of installed
    distributions.
    """
    memo = memo_dir / f"{_installed_fingerprint()}.json"
    if memo.is_file():
        return json.loads(memo.read_text(encoding="utf-8"))
    index = {}
    closures: dict[str, dict[str, str]] = {}
    for top, dists in md.packages_distributions().items():
        versions: dict[str, str] = {}
        for dist in sorted(set(dists)):
            if dist not in closures:
                closures[dist] = _dist_closure(dist)
            versions.update(closures[dist])
        index[top] = dict(sorted(versions.items()))
    memo.parent.mkdir(parents=True, exist_ok=True)
    tmp = memo.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(index, sort_keys=True), encoding="utf-8")
    os.replace(tmp, memo)
    return index


def library_versions(top_level_names, memo_dir: Path) -> dict[str, str]:
    """Versions of the distributions behind these import names, with what they require.
    ``memo_dir``: where the index of installed distributions is kept (the cache's ``libraries/``)."""
    index = _library_index(Path(memo_dir))
    versions: dict[str, str] = {}
    for top in sorted(top_level_names):
        # an import name no installed distribution provides: the job will fail on import
        versions.update(index.get(top, {top: "not installed"}))
    return versions
