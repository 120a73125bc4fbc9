"""Figure variants (snippets/build/theme.py): the words in the variant's language, Korean drawn
with the project's own font, and a character no font has is an error, not a box."""

import re

import pytest
from matplotlib.figure import Figure

from snippets.build.theme import KOREAN_FONT, korean_font_file, render, theme


def drawn(variant: str, words: str, fmt: str = "svg") -> bytes:
    t = theme(variant)
    with t.context():
        fig = Figure(figsize=(2, 1))
        fig.subplots().set_title(words)
        return render(fig, fmt)


def test_a_variant_is_a_language_and_a_theme():
    t = theme("ko-dark")
    assert (t.lang, t.name, t.variant) == ("ko", "dark", "ko-dark")
    assert t.text(ko="학습 스텝", en="training step") == "학습 스텝"
    assert theme("en-light").text(ko="학습 스텝", en="training step") == "training step"
    with pytest.raises(KeyError, match="no 'en' version"):
        theme("en-light").text(ko="학습 스텝")
    with pytest.raises(ValueError, match="'<lang>-<theme>'"):
        theme("ko-sepia")


def test_numbers_in_figures_use_the_tick_labels_minus_sign():
    t = theme("en-light")
    assert t.number(-2.0) == "\N{MINUS SIGN}2"
    assert t.number(-0.1704, ".2f") == "\N{MINUS SIGN}0.17"
    assert t.number(1e-7, ".0e") == "1e\N{MINUS SIGN}07"  # exponents too
    assert t.number(3.0, ".2f") == "3.00"


def test_korean_text_is_drawn_with_the_project_s_korean_font():
    assert korean_font_file().name == f"{KOREAN_FONT}.ttf"  # shipped by a pinned package, not the system
    svg = drawn("ko-light", "테스트 정확도 (%)").decode()
    assert "<!-- 테스트 정확도 (%) -->" in svg  # the text layer
    glyph_fonts = set(re.findall(r'id="([A-Za-z]+)-[0-9a-f]+"', svg))
    assert KOREAN_FONT in glyph_fonts and "DejaVuSans" in glyph_fonts  # Hangul from Nanum, the rest DejaVu


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_a_character_no_font_has_fails_instead_of_drawing_a_box(fmt):
    with pytest.raises(UserWarning, match=r"Glyph \d+ .*missing from"):
        drawn("ko-light", "ॐ", fmt)  # Devanagari: in neither DejaVu Sans nor NanumGothic


def test_an_english_variant_has_no_korean_font_to_fall_back_on():
    """So Korean words left in an English figure fail the job, rather than being drawn."""
    with pytest.raises(UserWarning, match="missing from"):
        drawn("en-light", "정확도")
    assert drawn("en-light", "accuracy").startswith(b"<?xml")


def test_pixel_size_reads_what_the_figure_jobs_write(tmp_path):
    """The <img> of a figure carries the file's size in CSS pixels (snippets/build/variants.py)."""
    from snippets.build.variants import pixel_size

    for fmt in ("svg", "png"):
        (tmp_path / f"f.{fmt}").write_bytes(drawn("en-light", "size", fmt))
    # matplotlib's SVG is measured in points (its viewBox too): a CSS pixel is 3/4 of a point
    box = re.search(rb'viewBox="0 0 ([\d.]+) ([\d.]+)"', (tmp_path / "f.svg").read_bytes())
    assert pixel_size(tmp_path / "f.svg") == (round(float(box[1]) * 4 / 3), round(float(box[2]) * 4 / 3))
    from PIL import Image

    with Image.open(tmp_path / "f.png") as image:
        assert pixel_size(tmp_path / "f.png") == image.size
    (tmp_path / "px.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="150"/>')
    assert pixel_size(tmp_path / "px.svg") == (300, 150)
    (tmp_path / "bad.svg").write_text("<svg viewBox='0 0 1 1'/>")
    with pytest.raises(ValueError, match="width and height"):
        pixel_size(tmp_path / "bad.svg")
