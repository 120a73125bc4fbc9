"""Files the build adds to the site, described without MkDocs: figures, each article's notebook
page and ``.ipynb`` download, the notebook stylesheet, and the build report.

The MkDocs hook turns each :class:`Generated` into a ``File``; another site generator could
do the same. Pages are written per language under ``<cache>/site/<lang>/`` (only when their
text changed) and carry the alternates the i18n language switcher reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks, pages
from .runner import BuildResult

DEFAULT_LANG = notebooks.DEFAULT_LANG


def prefix(lang: str) -> str:
    """Where a language's pages live in the site: ``""`` for Korean, ``"en/"`` for English."""
    return "" if lang == DEFAULT_LANG else f"{lang}/"


@dataclass(frozen=True)
class Generated:
    src_uri: str  # as pages link to it, e.g. "activations/gelu/notebook.md"
    abs_src_path: Path
    dest_uri: str  # in the built site, language prefix included
    lang: str | None = None  # set for pages
    alternates: dict[str, str] = field(default_factory=dict)  # lang -> url of the same page
    in_nav: bool = True


def _write(path: Path, text: str) -> Path:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def _page(src_uri: str, path: Path, lang: str, in_nav: bool = True) -> Generated:
    directory = src_uri.removesuffix(".md")  # "build-report.md" -> "build-report/index.html"
    return Generated(src_uri, path, f"{prefix(lang)}{directory}/index.html", lang,
                     {other: f"{prefix(other)}{directory}/" for other in notebooks.LANGS}, in_nav)


def site_files(build: BuildResult, lang: str, docs_dir: Path, out_dir: Path, site_url: str) -> list[Generated]:
    out = out_dir / lang
    files: list[Generated] = []
    stylesheet = False
    titles = {}
    for page in sorted({r.spec.page for r in build.results.values()}):
        source = docs_dir / f"{page}.{lang}.md"
        if source.is_file():
            titles[page] = pages.page_title(source.read_text(encoding="utf-8"))
    for r in build.results.values():
        if r.status == "failed":
            continue
        if r.spec.kind == "figure":
            for variant, path in build.figure_files(r.spec.id).items():
                uri = pages.figure_uri(r.spec.id, variant, r.spec.format)
                files.append(Generated(uri, path, uri))
        elif r.spec.kind == "notebook":
            page, name = r.spec.page, r.spec.page.rsplit("/", 1)[-1]
            title = titles.get(page, name)
            executed = json.loads(r.artifact("notebook.ipynb").read_text(encoding="utf-8"))
            nb = notebooks.localized(executed, lang, title, f"{site_url}{prefix(lang)}{page}/")
            download = f"{page}/notebook/{name}.ipynb"
            files.append(Generated(download, _write(out / download, json.dumps(nb, indent=1, ensure_ascii=False)
                                                    + "\n"), prefix(lang) + download))
            view = _write(out / page / "notebook.md", pages.notebook_page(lang, title, name))
            files.append(_page(f"{page}/notebook.md", view, lang, in_nav=False))
            if not stylesheet:  # the same styles for every notebook
                files.append(Generated(notebooks.STYLESHEET, r.artifact("notebook.css"), notebooks.STYLESHEET))
                stylesheet = True
    report = _write(out / "build-report.md", pages.build_report(lang, build, titles))
    files.append(_page("build-report.md", report, lang))
    return files
