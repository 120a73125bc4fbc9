"""MkDocs glue, kept thin: everything it calls also runs without MkDocs (``snippets.build``).

- ``on_pre_build``: bring every job up to date once per build and log the summary line. The
  i18n plugin builds the English site by calling MkDocs' build again from its
  ``on_post_build``; that inner pass reuses the outer pass's results.
- ``on_files``: add the figure files to the site under ``assets/figures/``, and each article's
  notebook page (``<article>/notebook/``) and ``.ipynb`` download, in the language being built.
  This runs after the i18n plugin, which would turn notebook pages back into plain files
  (its issue #198): these files live outside ``docs/``, carry the i18n attributes the language
  switcher reads, and their HTML was rendered by mkdocs-jupyter's converter in the cached job.
- ``on_page_markdown``: fill the placeholders (:mod:`snippets.build.pages`) and link the notebook.
- ``on_page_content``: put the rendered notebook into its page.

``mkdocs build`` fails on a failed job or a bad placeholder, naming the job and the article;
``mkdocs serve`` keeps serving and shows the error on the page instead.
"""

from __future__ import annotations

import json
import logging
import posixpath
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
if sys.path[0] != str(ROOT):  # this project's `snippets`, whatever else is on the path
    sys.path.insert(0, str(ROOT))

from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.plugins import event_priority  # noqa: E402
from mkdocs.structure.files import File, InclusionLevel  # noqa: E402

from snippets.build import notebooks, pages, runner  # noqa: E402
from snippets.build.cache import cache_root  # noqa: E402

log = logging.getLogger("mkdocs.hooks.model_notes")
# Kept in the runner module: ``mkdocs serve`` reloads this hook file on every rebuild.
session = runner.SESSION


def on_startup(command, dirty):
    session.update(command=command, depth=0, build=None)


def on_pre_build(config):
    session["depth"] += 1
    if session["depth"] > 1 and session["build"] is not None:
        return  # the i18n plugin's second pass: jobs already ran in this build
    build = runner.ensure(log=log.info)
    session["build"] = build
    log.info(build.summary())
    if build.failures and session["command"] != "serve":
        raise PluginError(runner.failure_message(build))


def _language(config) -> str:
    i18n = config.plugins.get("i18n")
    return getattr(i18n, "current_language", None) or notebooks.DEFAULT_LANG


def _prefix(lang: str) -> str:
    return "" if lang == notebooks.DEFAULT_LANG else f"{lang}/"


def _write(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@event_priority(-150)  # after i18n's on_files (-100)
def on_files(files, config):
    build = session["build"]
    lang = _language(config)
    out = cache_root() / "site" / lang
    session["notebook_pages"] = {}
    for r in build.results.values():
        if r.status == "failed":
            continue
        if r.spec.kind == "figure":
            for variant, path in build.figure_files(r.spec.id).items():
                uri = pages.figure_uri(r.spec.id, variant, r.spec.format)
                files.append(File.generated(config, uri, abs_src_path=str(path)))
        elif r.spec.kind == "notebook":
            for file in _notebook_files(r, lang, out, config):
                files.append(file)
    files.append(_report_file(build, lang, out, config))
    return files


def _localized_file(src_uri: str, out: Path, lang: str, config, **kw) -> File:
    """A generated page in language ``lang``, with what the i18n language switcher reads."""
    file = File(src_uri, str(out), config.site_dir, config.use_directory_urls, **kw)
    url = file.url
    file = File(src_uri, str(out), config.site_dir, config.use_directory_urls, dest_uri=_prefix(lang) + file.dest_uri,
                **{k: v for k, v in kw.items() if k != "dest_uri"})
    file.locale = file.locale_alternate_of = file.localization = lang
    file.norm_src_uri = file.src_uri
    file.alternates = {other: SimpleNamespace(url=_prefix(other) + url) for other in notebooks.LANGS}
    return file


def _report_file(build, lang: str, out: Path, config) -> File:
    docs = Path(config.docs_dir)
    articles = {}
    for page in {r.spec.page for r in build.results.values()}:
        source = docs / f"{page}.{lang}.md"
        if source.is_file():
            articles[page] = pages.page_title(source.read_text(encoding="utf-8"))
    _write(out / "build-report.md", pages.build_report(lang, build, articles))
    return _localized_file("build-report.md", out, lang, config)


def _notebook_files(r, lang: str, out: Path, config) -> list[File]:
    page, name, prefix = r.spec.page, r.spec.page.rsplit("/", 1)[-1], _prefix(lang)
    title = pages.page_title((Path(config.docs_dir) / f"{page}.{lang}.md").read_text(encoding="utf-8"))
    executed = json.loads(r.artifact("notebook.ipynb").read_text(encoding="utf-8"))
    article_url = f"{config.site_url or '/'}{prefix}{page}/"
    nb = notebooks.localized(executed, lang, title, article_url)
    _write(out / page / "notebook" / f"{name}.ipynb", json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    _write(out / page / "notebook.md", pages.notebook_page(lang, title, name))
    download = File(f"{page}/notebook/{name}.ipynb", str(out), config.site_dir, config.use_directory_urls,
                    dest_uri=f"{prefix}{page}/notebook/{name}.ipynb")
    css = File(notebooks.STYLESHEET, str(r.folder), config.site_dir, config.use_directory_urls)
    css.abs_src_path = str(r.artifact("notebook.css"))
    view = _localized_file(f"{page}/notebook.md", out, lang, config, inclusion=InclusionLevel.NOT_IN_NAV)
    session["notebook_pages"][view.src_uri] = r
    return [download, css, view]


def on_page_markdown(markdown, page, config, files):
    build = session["build"]
    src = page.file.src_uri
    article = pages.article_of(src)
    nb = build.notebook(article) if article else None
    if nb is not None and nb.status != "failed":
        markdown = pages.after_title(markdown, pages.notebook_box(pages.page_lang(src), article.rsplit("/", 1)[-1]))
    result = pages.render(markdown, src_uri=src, build=build)
    if result.errors:
        message = "\n".join(result.errors)
        if session["command"] != "serve":
            raise PluginError(message)
        log.warning(message)  # `mkdocs serve` is not strict: the page still builds, with the box
        return pages.error_box("Page error", message) + "\n\n" + result.markdown
    return result.markdown


def on_page_content(html, page, config, files):
    r = session.get("notebook_pages", {}).get(page.file.src_uri)
    if r is None:
        return html
    css = posixpath.relpath(notebooks.STYLESHEET, page.url or ".")
    body = r.artifact("notebook.html").read_text(encoding="utf-8")
    return html.replace(pages.NOTEBOOK_HTML, f'<link rel="stylesheet" href="{css}">\n{body}')


@event_priority(-200)  # after i18n's on_post_build (-100), which runs the English pass
def on_post_build(config):
    session["depth"] -= 1


def on_build_error(error):
    session["depth"] = 0
