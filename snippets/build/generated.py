"""Files the build adds to the site, described without MkDocs: figures, each article's notebook
page and ``.ipynb`` download, the notebook stylesheet, and the build report.

The MkDocs hook turns each :class:`Generated` into a ``File``; another site generator could
do the same. Pages are written per language under ``<cache>/site/<lang>/`` (only when their
text changed) and carry the alternates the i18n language switcher reads. Each language's pass
adds the figure variants drawn in that language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import environment, notebooks, pages, variants
from .languages import page_file, prefix
from .runner import BuildResult, lane_count


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


def site_files(build: BuildResult, lang: str, docs_dir: Path, out_dir: Path, site_url: str) -> list[Generated]:
    langs = build.langs
    out = out_dir / lang

    def page(src_uri: str, path: Path, in_nav: bool = True) -> Generated:
        directory = src_uri.removesuffix(".md")  # "build-report.md" -> "build-report/index.html"
        return Generated(src_uri, path, f"{prefix(lang, langs)}{directory}/index.html", lang,
                         {other: f"{prefix(other, langs)}{directory}/" for other in langs}, in_nav)

    files: list[Generated] = []
    stylesheet = False
    titles = {}
    for article in sorted({r.spec.page for r in build.results.values()}):
        source = docs_dir / page_file(article, lang)
        if source.is_file():
            titles[article] = pages.page_title(source.read_text(encoding="utf-8"))
    for r in build.results.values():
        if r.status in ("failed", "pending"):  # pending: still running under `mkdocs serve`
            continue
        if r.spec.kind == "figure":
            for theme, path in build.figure_files(r.spec.id, lang).items():
                uri = variants.site_uri(r.spec.id, f"{lang}-{theme}", r.spec.format)
                files.append(Generated(uri, path, uri))
        elif r.spec.kind == "notebook":
            article, name = r.spec.page, r.spec.page.rsplit("/", 1)[-1]
            title = titles.get(article, name)
            executed = json.loads(r.artifact("notebook.ipynb").read_text(encoding="utf-8"))
            nb = notebooks.localized(executed, lang, title, f"{site_url}{prefix(lang, langs)}{article}/")
            download = f"{article}/notebook/{name}.ipynb"
            files.append(Generated(download, _write(out / download, json.dumps(nb, indent=1, ensure_ascii=False)
                                                    + "\n"), prefix(lang, langs) + download))
            redraws = {c["kind"] for c in r.spec.params.get("reruns", ())}
            view = _write(out / article / "notebook.md", pages.notebook_page(lang, title, name, redraws))
            files.append(page(f"{article}/notebook.md", view, in_nav=False))
            if not stylesheet:  # the same styles for every notebook
                files.append(Generated(notebooks.STYLESHEET, r.artifact("notebook.css"), notebooks.STYLESHEET))
                stylesheet = True
    report = _write(out / "build-report.md",
                    pages.build_report(lang, build, titles, environment.describe(docs_dir.parent, lane_count())))
    files.append(page("build-report.md", report))
    return files
