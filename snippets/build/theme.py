"""Figure themes per variant (language × light/dark), the fonts, and byte-for-byte reproducible
rendering.

A figure job is called once per variant inside :meth:`Theme.context` (or, written as a
generator, once in all, drawing each variant in turn), so everything it draws with matplotlib's
defaults (text, axes, the colour cycle) follows the theme; ``theme.colors`` and ``theme.cmap``
are there for what it colours by hand, and ``theme.text(ko=..., en=...)`` gives the words in
the variant's language. The page shows the light file with Material's ``#only-light`` and the
dark one with ``#only-dark``. Backgrounds are transparent so a figure sits on the page's own
background in both schemes.

Fonts come from the project's own install, never from the machine: DejaVu Sans, which ships
with matplotlib, and for Korean NanumGothic (SIL Open Font License), which ships with the
``koreanize-matplotlib`` package (pinned in requirements.txt; only its font files are used, the
package itself is never imported, so it changes no setting). A glyph that no font of the variant
has is an error (:func:`missing_glyphs_fail`), not a box in the picture.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from cycler import cycler  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from . import variants  # noqa: E402
from .jobs import FORMATS  # noqa: E402

LATIN_FONT = "DejaVu Sans"  # matplotlib's own
KOREAN_FONT = "NanumGothic"
FONT_PACKAGE = "koreanize_matplotlib"  # ships fonts/NanumGothic.ttf


def korean_font_file() -> Path:
    """NanumGothic's file in the installed font package, found without importing the package."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the Korean figure font comes from the {FONT_PACKAGE.replace('_', '-')} package "
                                "(requirements.txt), which is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / f"{KOREAN_FONT}.ttf"
    if not path.is_file():
        raise FileNotFoundError(f"expected the Korean figure font at {path}")
    return path


def _register_korean_font() -> None:
    if KOREAN_FONT not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(korean_font_file()))


# Fonts per language: the first font that has a glyph draws it (matplotlib's font fallback).
FONTS = {"ko": [LATIN_FONT, KOREAN_FONT], "en": [LATIN_FONT]}


@dataclass(frozen=True)
class Theme:
    name: str  # "light" or "dark"
    fg: str  # text, spines, ticks
    muted: str  # secondary lines (references, baselines)
    grid: str
    colors: tuple[str, ...]  # series, in order
    cmap: str  # sequential colour map for heatmaps
    diverging: str  # colour map for signed values
    lang: str = "en"  # the language of the words in the figure

    @property
    def variant(self) -> str:
        return f"{self.lang}-{self.name}"

    def text(self, **by_language: str) -> str:
        """The words for this variant's language: ``theme.text(ko="학습 스텝", en="training step")``."""
        if self.lang not in by_language:
            raise KeyError(f"figure text has no {self.lang!r} version: {by_language!r}")
        return by_language[self.lang]

    @staticmethod
    def number(value: float, spec: str = "g") -> str:
        """A number written into a figure, with the typographic minus (U+2212) that the
        tick labels use (``axes.unicode_minus``): ``theme.number(-2.0, ".2f")`` is "−2.00"."""
        return format(value, spec).replace("-", "\N{MINUS SIGN}")

    def rc(self) -> dict:
        if self.lang not in FONTS:
            raise ValueError(f"no figure fonts are set for language {self.lang!r} (snippets/build/theme.py FONTS)")
        return {
            "font.family": FONTS[self.lang],
            "axes.unicode_minus": True,
            "figure.facecolor": "none",
            "axes.facecolor": "none",
            "savefig.facecolor": "none",
            "savefig.transparent": True,
            "text.color": self.fg,
            "axes.labelcolor": self.fg,
            "axes.edgecolor": self.fg,
            "axes.titlecolor": self.fg,
            "xtick.color": self.fg,
            "ytick.color": self.fg,
            "grid.color": self.grid,
            "axes.grid": True,
            "grid.linewidth": 0.6,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": cycler(color=list(self.colors)),
            "legend.frameon": False,
            "legend.labelcolor": self.fg,
            "font.size": 10,
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "svg.hashsalt": "model-notes",  # fixed ids in the SVG: same inputs, same bytes
            "svg.fonttype": "path",
            "image.cmap": self.cmap,
        }

    @contextlib.contextmanager
    def context(self):
        if KOREAN_FONT in FONTS.get(self.lang, ()):
            _register_korean_font()
        with plt.style.context("default"), matplotlib.rc_context(self.rc()), missing_glyphs_fail():
            yield self


@contextlib.contextmanager
def missing_glyphs_fail():
    """Turn matplotlib's "Glyph ... missing from font(s)" warning into an error."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph \d+ .*missing from")
        yield


LIGHT = Theme(
    name="light",
    fg="#1f2328",
    muted="#8c959f",
    grid="#d0d7de",
    colors=("#3f51b5", "#e8710a", "#1e8e3e", "#c2185b", "#795548", "#00838f"),
    cmap="viridis",
    diverging="RdBu_r",
)
DARK = Theme(
    name="dark",
    fg="#e3e6ea",
    muted="#8b949e",
    grid="#3b4048",
    colors=("#8c9eff", "#ffab40", "#69f0ae", "#ff80ab", "#bcaaa4", "#4dd0e1"),
    cmap="magma",
    diverging="RdBu_r",
)
THEMES = {"light": LIGHT, "dark": DARK}
assert tuple(THEMES) == variants.THEMES


def theme(variant: str) -> Theme:
    """The theme of a variant: ``theme("ko-dark")`` is the dark palette with Korean text."""
    lang, name = variants.split(variant)
    return replace(THEMES[name], lang=lang)


def render(fig, fmt: str) -> bytes:
    """The figure as SVG or PNG bytes, with no date or software stamp, then closed."""
    if fmt not in FORMATS:
        raise ValueError(f"figure format must be one of {FORMATS}, got {fmt!r}")
    metadata = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    buf = io.BytesIO()
    with missing_glyphs_fail():
        fig.savefig(buf, format=fmt, metadata=metadata)
    plt.close(fig)
    return buf.getvalue()
