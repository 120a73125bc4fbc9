"""Figure variants: every figure is drawn once per language of the site and per theme, so its
text is in the page's language and its colours suit Material's light or dark scheme (shown with
``#only-light`` / ``#only-dark``). Names and site paths of the files are defined here only.
"""

from __future__ import annotations

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
