"""One search index per language, ranked for readers.

Material's search plugin writes one ``search/search_index.json`` for the whole site, so a reader
on an English page gets Korean pages among the results (and the other way round), and its
ranking knows nothing of this site's page kinds. After the build, :func:`split_index` rewrites
it as one index per language, at that language's root (``search/`` for the default language,
``en/search/`` for English), with locations relative to that root; ``overrides/main.html``
points the search of each page at its own language's root (``lang_root`` below).

Ranking (lunr multiplies a section's score by its ``boost``; Material lists pages in the order
of their best-scoring section, and weighs a match in a title 1000 times one in the text):

- a page's own entry (its title and first paragraph) counts ``PAGE_TITLE`` times, so a page
  whose title contains the query comes before pages that only mention it in a heading or text;
- a notebook page (all of an article's listings in one entry) counts ``NOTEBOOK`` times, so an
  article comes before its own notebook;
- the home page and the build report (lists of every other page's title and jobs) count
  ``LISTING`` times, so they never come before the pages they list.

Each language keeps the search settings Material's own translation gives it (the stop-word
filter for English; nothing for Korean, where words are matched by prefix, so ``임베딩`` finds
``임베딩을``).
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

from .languages import prefix

PAGE_TITLE = 10.0
NOTEBOOK = 0.5
LISTING = 0.2
LISTINGS = ("", "build-report/")  # the home page and the build report, relative to a language root
INDEX = "search/search_index.json"


def lang_root(page_url: str, lang: str, langs) -> str:
    """The relative URL from a page to its language's root, where its search index lives:
    ``"../../"`` on ``activations/gelu/``, ``"../../"`` (that is, ``/en/``) on
    ``en/activations/gelu/``, ``"../"`` on ``en/404.html``."""
    folder = page_url.rstrip("/") if page_url.endswith("/") or not page_url else posixpath.dirname(page_url)
    return posixpath.relpath(prefix(lang, langs) or ".", folder or ".") + "/"


def _kind_boost(location: str) -> float:
    page = location.split("#", 1)[0]
    if page in LISTINGS:
        return LISTING
    if page.endswith("notebook/"):
        return NOTEBOOK
    return PAGE_TITLE if "#" not in location else 1.0


def theme_pipeline(lang: str) -> list[str]:
    """The lunr pipeline Material's translation of ``lang`` asks for (``"search.config.pipeline"``)."""
    import material

    partial = Path(material.__file__).parent / "templates" / "partials" / "languages" / f"{lang}.html"
    if not partial.is_file():
        raise FileNotFoundError(f"Material has no translation for language {lang!r}: {partial} does not exist")
    found = re.search(r'"search\.config\.pipeline":\s*"([^"]*)"', partial.read_text(encoding="utf-8"))
    return [name for name in re.split(r"\s*,\s*", found.group(1).strip()) if name] if found else []


def split_index(site_dir: Path, langs) -> dict[str, int]:
    """Rewrite the site's one index as one index per language; returns each language's entry
    count. The default language's index replaces the site-wide one."""
    site_dir = Path(site_dir)
    path = site_dir / INDEX
    if not path.is_file():
        raise FileNotFoundError(f"expected the search plugin's index at {path}; is the search plugin enabled?")
    index = json.loads(path.read_text(encoding="utf-8"))
    others = [prefix(lang, langs) for lang in langs[1:]]
    counts = {}
    for lang in langs:
        root = prefix(lang, langs)
        if root:
            docs = [d for d in index["docs"] if d["location"].startswith(root)]
        else:
            docs = [d for d in index["docs"] if not any(d["location"].startswith(p) for p in others)]
        entries = []
        for doc in docs:
            entry = dict(doc, location=doc["location"].removeprefix(root))
            boost = _kind_boost(entry["location"]) * doc.get("boost", 1.0)
            if boost != 1.0:
                entry["boost"] = boost
            entries.append(entry)
        config = dict(index["config"], lang=[lang], pipeline=theme_pipeline(lang))
        out = site_dir / root / INDEX
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"config": config, "docs": entries}, ensure_ascii=False, separators=(",", ":")),
                       encoding="utf-8")
        counts[lang] = len(entries)
    return counts
