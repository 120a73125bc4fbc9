"""MkDocs glue, kept thin: everything it calls also runs without MkDocs (``snippets.build``).

- ``on_pre_build``: bring every job up to date once per build and log the summary line. The
  i18n plugin builds the English site by calling MkDocs' build again from its
  ``on_post_build``; that inner pass reuses the outer pass's results. Under ``mkdocs serve``
  stale jobs run in the background (:class:`snippets.build.runner.Background`): the pages are
  built at once with a notice where a pending job's result goes, and each job that ends asks the
  server for a rebuild (``on_serve``), which reloads the browser.
- ``on_serve``: keep the server, to ask it for those rebuilds, and learn from its requests which
  page the browser shows, whose jobs then start first.
- ``on_files``: add the figure files to the site under ``assets/figures/``, and each article's
  notebook page (``<article>/notebook/``) and ``.ipynb`` download, in the language being built.
  This runs after the i18n plugin, which would turn notebook pages back into plain files
  (its issue #198): these files live outside ``docs/``, carry the i18n attributes the language
  switcher reads, and their HTML was rendered by mkdocs-jupyter's converter in the cached job.
- ``on_page_markdown``: fill the placeholders (:mod:`snippets.build.pages`) and link the notebook.
- ``on_page_content``: put the rendered notebook into its page.
- ``on_page_context``: tell the template where the page's language has its search index.
- ``on_post_page``: math typeset by KaTeX at build time (:mod:`snippets.build.math`), then valid HTML
  (:mod:`snippets.build.valid_html`, also ``on_post_template``).
- ``on_post_build`` (after the last language): one search index per language
  (:mod:`snippets.build.search`); a job that no page uses is an error in a strict build
  (``mkdocs build --strict``, ``make build``) and a warning otherwise.

``mkdocs build`` fails on a failed job or a bad placeholder, naming the job and the article;
``mkdocs serve`` keeps serving and shows the error on the page instead.
"""

from __future__ import annotations

import logging
import posixpath
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
if sys.path[0] != str(ROOT):  # this project's `snippets`, whatever else is on the path
    sys.path.insert(0, str(ROOT))

from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.plugins import event_priority  # noqa: E402
from mkdocs.structure.files import File, InclusionLevel  # noqa: E402

from snippets.build import generated, math, notebooks, pages, runner, search, ui, valid_html  # noqa: E402
from snippets.build.cache import cache_root  # noqa: E402
from snippets.build.languages import languages, prefix, split_page_file  # noqa: E402

log = logging.getLogger("mkdocs.hooks.model_notes")
# Kept in the runner module: ``mkdocs serve`` reloads this hook file on every rebuild.
session = runner.SESSION


def on_startup(command, dirty):
    session.update(command=command, depth=0, build=None, used=set(), server=None, rebuild=False,
                   background=runner.Background(on_end=_rebuild, progress=log.info) if command == "serve" else None)


def on_shutdown():
    if session.get("background") is not None:
        session["background"].stop()


# Rebuilds asked for by background jobs start at least this many times the last build's duration
# apart (and 5 s): while jobs end faster than the pages build, building them back to back would
# take a whole core from the jobs' lanes.
REBUILD_GAP = 3


def _rebuild():
    """Ask `mkdocs serve` to rebuild the site, as a changed file would (a background job ended).
    MkDocs has no public call for it: this does what its file watcher does (mkdocs 1.6,
    ``LiveReloadServer.watch``); before the server exists, ``on_serve`` asks once it does. Too
    soon after the last build, it asks later (:data:`REBUILD_GAP`), once for all that ended."""
    server = session.get("server")
    if server is None:
        session["rebuild"] = True
        return
    wait = session.get("built_at", 0.0) + max(5.0, REBUILD_GAP * session.get("build_seconds", 0.0)) - time.monotonic()
    if wait > 0:
        if session.get("rebuild_timer") is None:
            session["rebuild_timer"] = threading.Timer(wait, _rebuild_now, args=(server,))
            session["rebuild_timer"].daemon = True
            session["rebuild_timer"].start()
        return
    _rebuild_now(server)


def _rebuild_now(server):
    session["rebuild_timer"] = None
    with server._rebuild_cond:
        server._want_rebuild = True
        server._rebuild_cond.notify_all()


def on_serve(server, config, builder):
    session["server"] = server
    app, langs = server.get_app(), languages(ROOT)
    root = urlsplit(config.site_url or "/").path

    def app_noting_the_page(environ, start_response):
        """The page the browser shows: one it asks for, or the one its live-reload poll names."""
        path = environ.get("PATH_INFO", "")
        if path.startswith("/livereload/"):
            path = urlsplit(environ.get("HTTP_REFERER", "")).path
        if path.endswith("/") and path.startswith(root) and session.get("background") is not None:
            page = path[len(root):].strip("/")
            for lang in langs:
                if prefix(lang, langs) and page.startswith(prefix(lang, langs)):
                    page = page[len(prefix(lang, langs)):]
            session["background"].focus = page or None
        return app(environ, start_response)

    server.set_app(app_noting_the_page)
    if session.pop("rebuild", False):
        _rebuild()
    return server


def on_config(config):
    # Notebooks expand listings with notebooks.SNIPPETS_CONFIG; the pages must use the same.
    site = {k: config.mdx_configs.get("pymdownx.snippets", {}).get(k) for k in notebooks.SNIPPETS_CONFIG}
    if site != notebooks.SNIPPETS_CONFIG:
        raise PluginError(f"pymdownx.snippets in mkdocs.yml is {site}, but the notebooks expand listings with "
                          f"{notebooks.SNIPPETS_CONFIG} (snippets/build/notebooks.py): make them equal")


def on_pre_build(config):
    session["depth"] += 1
    if session["depth"] > 1 and session["build"] is not None:
        return  # the i18n plugin's second pass: jobs already ran in this build
    session["build_started"] = time.monotonic()
    background = session.get("background")
    build = runner.ensure(log=log.info, background=background)
    session["build"], session["used"] = build, set()
    pending = build.count("pending")
    if pending:
        log.info(f"serving now: {pending} job(s) still to run; the pages fill in as they end")
    else:
        log.info(build.summary())
        if background is not None:
            background.reported()
    if build.failures and session["command"] != "serve":
        raise PluginError(runner.failure_message(build))


def _language(config) -> str:
    i18n = config.plugins.get("i18n")
    return getattr(i18n, "current_language", None) or session["build"].langs[0]


@event_priority(-150)  # after i18n's on_files (-100)
def on_files(files, config):
    lang = _language(config)
    for g in generated.site_files(session["build"], lang, Path(config.docs_dir), cache_root() / "site",
                                  config.site_url or "/"):
        file = File(g.src_uri, None, config.site_dir, config.use_directory_urls, dest_uri=g.dest_uri,
                    inclusion=InclusionLevel.INCLUDED if g.in_nav else InclusionLevel.NOT_IN_NAV)
        file.abs_src_path = str(g.abs_src_path)
        if g.lang:  # what mkdocs-static-i18n's language switcher reads from a page's file
            file.locale = file.locale_alternate_of = file.localization = g.lang
            file.norm_src_uri = file.src_uri
            file.alternates = {other: SimpleNamespace(url=url) for other, url in g.alternates.items()}
        files.append(file)
    return files


def _first_line(page, markdown: str) -> int:
    """The line of the page's file that ``markdown`` starts on (MkDocs has cut the front matter)."""
    raw = page.file.content_string
    return raw[: len(raw) - len(markdown)].count("\n") + 1 if raw.endswith(markdown) else 1


def on_page_markdown(markdown, page, config, files):
    build = session["build"]
    src = page.file.src_uri
    article, lang = split_page_file(src, build.langs) or (None, _language(config))
    nb = build.notebook(article) if article else None
    box = ""
    if nb is not None and nb.status in ("run", "cached"):  # not failed, nor still running
        redraws = {r["kind"] for r in nb.spec.params.get("reruns", ())}
        box = pages.notebook_box(lang, article.rsplit("/", 1)[-1], redraws)
    result = pages.render(markdown, src_uri=src, lang=lang, build=build, first_line=_first_line(page, markdown),
                          notice=box, docs_dir=Path(config.docs_dir))
    session["used"] |= result.named  # what the page names, even in the part of an {{ if }} left out
    if result.errors:
        message = "\n".join(result.errors)
        if session["command"] != "serve":
            raise PluginError(message)
        log.warning(message)  # `mkdocs serve` is not strict: the page still builds, with the box
        return pages.error_box(ui.text("page_error", lang), message) + "\n\n" + result.markdown
    return result.markdown


def on_page_content(html, page, config, files):
    src = page.file.src_uri
    r = session["build"].notebook(src.removesuffix("/notebook.md")) if src.endswith("/notebook.md") else None
    if r is None:
        return html
    body = notebooks.html_for(r.artifact("notebook.html").read_text(encoding="utf-8"), _language(config))
    return html.replace(pages.NOTEBOOK_HTML, body)


def on_page_context(context, page, config, nav):
    context["lang_root"] = search.lang_root(page.url, _language(config), session["build"].langs)  # main.html
    if page.file.src_uri.endswith("/notebook.md"):  # notebook styles in <head>, loaded before the first paint
        context["page_stylesheet"] = posixpath.relpath(notebooks.STYLESHEET, page.url or ".")
    return context


def on_post_page(output, page, config):
    if 'class="arithmatex"' in output:  # after search has read the page: the index keeps the TeX
        if session.get("typesetter") is None:  # one V8 context for the whole session
            session["typesetter"] = math.Typesetter(Path(config.docs_dir) / math.KATEX_JS)
        typeset = session["typesetter"].page(output)
        if typeset.errors:
            message = f"{page.file.src_uri}: KaTeX cannot typeset " + "\n".join(typeset.errors)
            if session["command"] != "serve":
                raise PluginError(message)
            log.warning(message)  # `mkdocs serve`: the page still builds, the formula stays TeX
        output = typeset.html
    return valid_html.repair(output).html


def on_post_template(output_content, template_name, config):
    return valid_html.repair(output_content).html if template_name.endswith(".html") else output_content


@event_priority(-200)  # after i18n's on_post_build (-100), which runs the English pass
def on_post_build(config):
    session["depth"] -= 1
    if session["depth"] == 0:  # every language is built: every page has said what it uses
        session["built_at"] = time.monotonic()
        session["build_seconds"] = session["built_at"] - session.get("build_started", session["built_at"])
        if any(name.split("/")[-1] == "search" for name in config.plugins):  # "material/search"
            search.split_index(Path(config.site_dir), session["build"].langs)
        unused = session["build"].unused(session["used"])
        if unused:
            message = "build jobs that no page uses (show them on a page, or delete them):\n" + "\n".join(
                f"  {spec.id} ({spec.where}, page={spec.page!r})" for spec in unused)
            if config.strict and session["command"] != "serve":
                raise PluginError(message)
            log.warning(message)


def on_build_error(error):
    session["depth"] = 0
