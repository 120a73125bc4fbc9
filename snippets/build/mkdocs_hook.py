"""MkDocs glue, kept thin: everything it calls also runs without MkDocs (``snippets.build``).

- ``on_pre_build``: bring every job up to date once per build and log the summary line. The
  i18n plugin builds the English site by calling MkDocs' build again from its
  ``on_post_build``; that inner pass reuses the outer pass's results.
- ``on_files``: add the figure files to the site under ``assets/figures/``.
- ``on_page_markdown``: fill the placeholders (:mod:`snippets.build.pages`).

``mkdocs build`` fails on a failed job or a bad placeholder, naming the job and the article;
``mkdocs serve`` keeps serving and shows the error on the page instead.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if sys.path[0] != str(ROOT):  # this project's `snippets`, whatever else is on the path
    sys.path.insert(0, str(ROOT))

from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.plugins import event_priority  # noqa: E402
from mkdocs.structure.files import File  # noqa: E402

from snippets.build import pages, runner  # noqa: E402

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


def on_files(files, config):
    build = session["build"]
    for r in build.results.values():
        if r.spec.kind != "figure" or r.status == "failed":
            continue
        for variant, path in build.figure_files(r.spec.id).items():
            uri = pages.figure_uri(r.spec.id, variant, r.spec.format)
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def on_page_markdown(markdown, page, config, files):
    result = pages.render(markdown, src_uri=page.file.src_uri, build=session["build"])
    if result.errors:
        message = "\n".join(result.errors)
        if session["command"] != "serve":
            raise PluginError(message)
        log.warning(message)  # `mkdocs serve` is not strict: the page still builds, with the box
        return pages.error_box("Page error", message) + "\n\n" + result.markdown
    return result.markdown


@event_priority(-200)  # after i18n's on_post_build (-100), which runs the English pass
def on_post_build(config):
    session["depth"] -= 1


def on_build_error(error):
    session["depth"] = 0
