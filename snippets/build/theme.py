"""Light and dark figure themes, and byte-for-byte reproducible rendering.

A figure job is called once per theme inside :meth:`Theme.context`, so everything it draws
with matplotlib's defaults (text, axes, the colour cycle) follows the theme; ``theme.colors``
and ``theme.cmap`` are there for what it colours by hand. The page shows the light file with
Material's ``#only-light`` and the dark one with ``#only-dark``. Backgrounds are transparent so
a figure sits on the page's own background in both schemes.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from cycler import cycler  # noqa: E402


@dataclass(frozen=True)
class Theme:
    name: str
    fg: str  # text, spines, ticks
    muted: str  # secondary lines (references, baselines)
    grid: str
    colors: tuple[str, ...]  # series, in order
    cmap: str  # sequential colour map for heatmaps
    diverging: str  # colour map for signed values

    def rc(self) -> dict:
        return {
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
        with plt.style.context("default"), matplotlib.rc_context(self.rc()):
            yield self


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
THEMES = (LIGHT, DARK)


def render(fig, fmt: str) -> bytes:
    """The figure as SVG or PNG bytes, with no date or software stamp, then closed."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"figure format must be 'svg' or 'png', got {fmt!r}")
    metadata = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata=metadata)
    plt.close(fig)
    return buf.getvalue()
