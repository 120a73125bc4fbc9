"""How long a page takes to read, for the home page's cards (``{{ reading_time <page> }}``).

Counted from the page's Markdown in the reader's language: its prose (without front matter,
fenced blocks, placeholders, HTML and link targets) at a reading rate per language, plus the
listings it shows (expanded as the site expands them) at a rate for code. The rates are this
site's assumptions for technical prose, slower than the 238 words a minute Brysbaert (2019,
"How many words do we read per minute?", Journal of Memory and Language 109, Table 3: silent
reading of non-fiction in English) measured for general non-fiction; a Korean word (어절, a
word with its particles) carries more than an English one, hence the lower rate.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

from .languages import page_file
from .notebooks import expand, listings

WORDS_PER_MINUTE = {"ko": 150, "en": 180}
CODE_LINES_PER_MINUTE = 25

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.S | re.M)
# placeholders, attribute lists, HTML tags, link targets, Markdown punctuation
_NOISE = re.compile(r"\{\{.*?\}\}|\{\s*[:.#][^}\n]*\}|<[^>\n]+>|\]\([^)\s]*\)|[#*_`>|\\\[\]!-]+")


def prose_words(markdown: str) -> int:
    text = _FENCE.sub(" ", _FRONT_MATTER.sub("", markdown))
    return len(_NOISE.sub(" ", text).split())


def code_lines(markdown: str, root: Path) -> int:
    """Non-blank lines of the listings ``markdown`` shows. Expanding them is the costly part
    (and each page's times are asked for once per language), so a listing is expanded again
    only when one of the files it includes has changed."""
    total = 0
    for lines in listings(markdown):
        files = sorted({line.removeprefix('--8<-- "').removesuffix('"').split(":")[0] for line in lines})
        stamps = tuple((Path(root) / f).stat().st_mtime_ns if (Path(root) / f).is_file() else None for f in files)
        total += _listing_lines(tuple(lines), Path(root), stamps)
    return total


@functools.lru_cache(maxsize=512)
def _listing_lines(lines: tuple[str, ...], root: Path, stamps: tuple) -> int:
    return len([line for line in expand(list(lines), root).splitlines() if line.strip()])


def minutes_in(page: str, lang: str, docs_dir: Path, root: Path) -> float:
    """Minutes to read ``page`` (``"activations/gelu"``) in ``lang``."""
    if lang not in WORDS_PER_MINUTE:
        raise ValueError(f"no reading rate for language {lang!r}: add it to WORDS_PER_MINUTE in {__file__}")
    path = Path(docs_dir) / page_file(page, lang)
    if not path.is_file():
        raise FileNotFoundError(f"reading time of {page!r}: expected its page at {path}")
    markdown = path.read_text(encoding="utf-8")
    return prose_words(markdown) / WORDS_PER_MINUTE[lang] + code_lines(markdown, root) / CODE_LINES_PER_MINUTE


def minutes(page: str, langs, docs_dir: Path, root: Path) -> int:
    """Whole minutes (at least 1) to read ``page``: the mean over the site's languages, so that
    every language states the same number for the same article."""
    times = [minutes_in(page, lang, docs_dir, root) for lang in langs]
    return max(1, math.ceil(sum(times) / len(times)))
