"""The theme's invalid attributes are removed and its search dialog named (valid_html.py)."""

from __future__ import annotations

from snippets.build.valid_html import repair

THEME = """\
<input class="md-toggle" data-md-toggle="drawer" type="checkbox" id="__drawer" autocomplete="off">
<div class="md-search" data-md-component="search" role="dialog">
<input type="text" class="md-search__input" name="query" aria-label="검색" placeholder="검색" \
autocapitalize="off" autocorrect="off" autocomplete="off" spellcheck="false" required>
<label class="md-nav__link" for="__nav_2" id="__nav_2_label" tabindex="">
<label class="md-nav__link" for="__nav_3" id="__nav_3_label" tabindex="0">
"""


def test_each_invalid_attribute_goes_and_nothing_else_changes():
    fixed = repair(THEME)
    assert fixed.changes == 4
    assert 'type="checkbox" id="__drawer">' in fixed.html  # a checkbox has no autocompletion
    assert "autocorrect" not in fixed.html
    assert 'autocapitalize="off" autocomplete="off" spellcheck="false"' in fixed.html  # a text input keeps it
    assert 'id="__nav_2_label">' in fixed.html and 'tabindex="0"' in fixed.html
    assert '<div class="md-search" data-md-component="search" role="dialog" aria-label="검색">' in fixed.html


def test_repairing_twice_changes_nothing_more():
    once = repair(THEME).html
    again = repair(once)
    assert again.html == once and again.changes == 0


def test_a_page_without_the_theme_markup_is_left_alone():
    html = "<p>no theme here</p>"
    assert repair(html) == type(repair(html))(html, 0)
