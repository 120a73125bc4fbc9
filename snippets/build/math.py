"""Math typeset at build time: the HTML a reader gets already holds KaTeX's output.

``pymdownx.arithmatex`` (generic mode) leaves each formula as TeX in an element of class
``arithmatex``: ``\\( … \\)`` inline, ``\\[ … \\]`` on a line of its own. Typesetting it in the
reader's browser cost a 270 kB script and, worse, moved the text below every formula once KaTeX
had measured it (Lighthouse's layout shift, 0.10-0.26 on the GELU and embedding pages, issue 15).
Here the vendored KaTeX (``docs/assets/vendor/katex/katex.min.js``, the same release whose
stylesheet and fonts the pages load) runs in V8 through ``mini-racer``: the output is exactly what
KaTeX would have drawn in the browser, and a formula KaTeX cannot parse is a build error naming
the page and the formula, instead of red text a reader finds.

Done after the search plugin has read the page (the ``on_post_page`` hook), so the search index
keeps the TeX a reader would type, not KaTeX's markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

KATEX_JS = Path("assets/vendor/katex/katex.min.js")  # relative to docs/
# what pymdownx.arithmatex (generic mode) writes: <span class="arithmatex">\(x\)</span>,
# <div class="arithmatex">\[ … \]</div>; the TeX inside is HTML-escaped, with no tags
FORMULA = re.compile(r'<(?P<tag>span|div) class="arithmatex">(?P<tex>.*?)</(?P=tag)>', re.S)
DELIMITERS = {"span": ("\\(", "\\)"), "div": ("\\[", "\\]")}


class MathError(ValueError):
    """KaTeX could not typeset a formula."""


@dataclass
class Typeset:
    html: str
    errors: list[str] = field(default_factory=list)
    count: int = 0


class Typesetter:
    """One V8 context with KaTeX loaded (about 0.1 s to start; then well under a millisecond a
    formula)."""

    def __init__(self, katex_js: Path):
        if not katex_js.is_file():
            raise FileNotFoundError(f"KaTeX is expected at {katex_js} (vendored in docs/assets/vendor/katex/)")
        from py_mini_racer import MiniRacer

        self._v8 = MiniRacer()
        self._v8.eval(katex_js.read_text(encoding="utf-8"))

    def tex(self, tex: str, display: bool) -> str:
        """KaTeX's HTML (with MathML for screen readers) for one formula, or :class:`MathError`."""
        try:
            return self._v8.call("katex.renderToString", tex,
                                 {"displayMode": display, "throwOnError": True, "output": "htmlAndMathml"})
        except Exception as exc:  # py_mini_racer's JSEvalException carries KaTeX's ParseError text
            message = str(exc).splitlines()[0].removeprefix("<anonymous>:1: ")
            raise MathError(message) from None

    def page(self, page_html: str) -> Typeset:
        """Every arithmatex element of a page typeset; ``errors`` lists the formulas that were not
        (they stay as TeX)."""
        out = Typeset(page_html)

        def one(m: re.Match) -> str:
            tag, raw = m.group("tag"), html.unescape(m.group("tex")).strip()
            left, right = DELIMITERS[tag]
            if not (raw.startswith(left) and raw.endswith(right)):
                out.errors.append(f"expected a formula between {left} and {right}, got {raw!r}")
                return m.group(0)
            tex = raw[len(left):-len(right)].strip()
            try:
                typeset = self.tex(tex, display=tag == "div")
            except MathError as exc:
                out.errors.append(f"{exc} (in {left} {tex} {right})")
                return m.group(0)
            out.count += 1
            return f'<{tag} class="arithmatex">{typeset}</{tag}>'

        out.html = FORMULA.sub(one, page_html)
        return out
