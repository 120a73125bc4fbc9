"""Math typeset at build time (snippets/build/math.py): KaTeX's output in the HTML, errors named."""

import pytest

from snippets.build.math import KATEX_JS, MathError, Typesetter
from tests.conftest import REPO


@pytest.fixture(scope="module")
def katex():
    return Typesetter(REPO / "docs" / KATEX_JS)


def test_inline_and_display_formulas_become_katex_markup(katex):
    page = ('<p>where <span class="arithmatex">\\(x &lt; \\Phi(x)\\)</span> holds</p>\n'
            '<div class="arithmatex">\\[\n\\mathrm{GELU}(x) = x\\,\\Phi(x)\n\\]</div>')
    out = katex.page(page)
    assert out.errors == [] and out.count == 2
    inline, display = out.html.split("\n", 1)
    assert inline.startswith('<p>where <span class="arithmatex"><span class="katex">') and inline.endswith("holds</p>")
    assert '<span class="katex-display">' in display and '<span class="katex-display">' not in inline
    # the TeX reached KaTeX unescaped: "<" is a relation in the output, and the MathML keeps the source
    assert '<annotation encoding="application/x-tex">x &lt; \\Phi(x)</annotation>' in inline
    assert "<mo>&lt;</mo>" in inline


def test_a_formula_katex_cannot_parse_is_reported_and_left_as_tex(katex):
    page = '<span class="arithmatex">\\(\\frac{1}{\\)</span> and <span class="arithmatex">\\(\\nosuchmacro\\)</span>'
    out = katex.page(page)
    assert out.count == 0 and out.html == page
    assert len(out.errors) == 2
    assert "KaTeX parse error" in out.errors[0] and "\\frac{1}{" in out.errors[0]
    assert "\\nosuchmacro" in out.errors[1]
    with pytest.raises(MathError, match="Undefined control sequence"):
        katex.tex("\\nosuchmacro", display=False)


def test_a_page_without_math_is_unchanged_and_a_missing_katex_is_named(katex, tmp_path):
    assert katex.page("<p>no math, $5 and \\(not marked\\)</p>").html == "<p>no math, $5 and \\(not marked\\)</p>"
    with pytest.raises(FileNotFoundError, match="KaTeX is expected at"):
        Typesetter(tmp_path / "katex.min.js")
