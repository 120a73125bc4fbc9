"""Figure variants: every figure is drawn once per language of the site and per theme, so its
text is in the page's language and its colours suit Material's light or dark scheme (shown with
``#only-light`` / ``#only-dark``). Names and site paths of the files are defined here only.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

THEMES = ("light", "dark")
FIGURES_DIR = "assets/figures"  # where figure files go in each language's site


def variants(langs) -> tuple[str, ...]:
    """``("ko", "en")`` -> ``("ko-light", "ko-dark", "en-light", "en-dark")``."""
    return tuple(f"{lang}-{theme}" for lang in langs for theme in THEMES)


def split(variant: str) -> tuple[str, str]:
    """``"ko-dark"`` -> ``("ko", "dark")``."""
    lang, _, theme = variant.rpartition("-")
    if not lang or theme not in THEMES:
        raise ValueError(f"a figure variant is '<lang>-<theme>' with a theme in {THEMES}, got {variant!r}")
    return lang, theme


def artifact(variant: str, fmt: str) -> str:
    """The file of one variant in a figure job's cache entry: ``ko-light.svg``."""
    return f"{variant}.{fmt}"


def site_uri(job_id: str, variant: str, fmt: str) -> str:
    """Where a figure file sits in the site, relative to ``docs/``: a language's pass adds its own."""
    return f"{FIGURES_DIR}/{job_id}.{variant}.{fmt}"


_SVG_SIZE = re.compile(rb'<svg\b[^>]*?\swidth="([\d.]+)(pt|px)?"[^>]*?\sheight="([\d.]+)(pt|px)?"')
_PX_PER = {b"pt": 4 / 3, b"px": 1.0, None: 1.0}


def pixel_size(path: Path) -> tuple[int, int]:
    """A figure file's size in CSS pixels, for the ``width``/``height`` of its ``<img>`` (the
    browser then reserves the figure's space before the file arrives: no layout shift). Reads
    the root ``<svg>``'s width and height (matplotlib writes points) or a PNG's header."""
    head = path.read_bytes()[:2048]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        width, height = struct.unpack(">II", head[16:24])
        return width, height
    if m := _SVG_SIZE.search(head):
        return (round(float(m.group(1)) * _PX_PER[m.group(2)]), round(float(m.group(3)) * _PX_PER[m.group(4)]))
    raise ValueError(f"{path}: expected an SVG with width and height on its <svg> element, or a PNG")
