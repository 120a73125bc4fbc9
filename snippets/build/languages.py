"""The site's languages, read from ``mkdocs.yml`` (the i18n plugin's list, default first): the one
place they are named. A page's file is ``docs/<section>/<slug>.<lang>.md``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml


class _Loader(yaml.SafeLoader):
    """Reads mkdocs.yml without resolving its tags (``!ENV``, ``!!python/...``): only plain
    values are needed here, and nothing in the file may run."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)


@functools.cache
def languages(root: Path) -> tuple[str, ...]:
    """Locales of the i18n plugin in ``<root>/mkdocs.yml``, the default one first."""
    path = Path(root) / "mkdocs.yml"
    if not path.is_file():
        raise FileNotFoundError(f"the site's languages are read from mkdocs.yml, but {path} does not exist")
    config = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
    for plugin in config.get("plugins") or ():
        if isinstance(plugin, dict) and "i18n" in plugin:
            entries = (plugin["i18n"] or {}).get("languages") or []
            locales = [e["locale"] for e in entries if isinstance(e, dict) and e.get("locale")]
            default = [e["locale"] for e in entries if isinstance(e, dict) and e.get("default")]
            if locales and len(default) == 1:
                return tuple(default + [lang for lang in locales if lang != default[0]])
    raise ValueError(f"{path}: expected the i18n plugin with a list of languages, exactly one of them "
                     "`default: true`")


def page_file(page: str, lang: str) -> str:
    """``("activations/gelu", "ko")`` -> ``"activations/gelu.ko.md"`` (relative to docs/)."""
    return f"{page}.{lang}.md"


def split_page_file(src_uri: str, langs) -> tuple[str, str] | None:
    """``"activations/gelu.ko.md"`` -> ``("activations/gelu", "ko")``; None for other files."""
    for lang in langs:
        if src_uri.endswith(f".{lang}.md"):
            return src_uri.removesuffix(f".{lang}.md"), lang
    return None


def site_pages(docs_dir: Path, langs) -> set[str]:
    """Every page written in the default language (``"activations/gelu"``, ``"index"``, ...)."""
    return {p.relative_to(docs_dir).as_posix().removesuffix(f".{langs[0]}.md")
            for p in docs_dir.rglob(f"*.{langs[0]}.md")}


def prefix(lang: str, langs) -> str:
    """Where a language's pages live in the site: ``""`` for the default, ``"en/"`` for English."""
    return "" if lang == langs[0] else f"{lang}/"
