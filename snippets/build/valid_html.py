"""Make the theme's HTML valid (the W3C Nu HTML checker's rules) and name its search dialog.

Material for MkDocs 9.8 writes three attributes that HTML does not allow, on every page:

- ``tabindex=""`` on the navigation's section labels (``partials/nav-item.html`` sets
  ``tabindex="0"`` on other labels and an empty value on these; an empty ``tabindex`` means
  nothing to a browser, so dropping it changes nothing);
- ``autocomplete="off"`` on its checkbox toggles (drawer, search, palette, navigation sections;
  the attribute is only allowed on text-like inputs, and a checkbox has no autocompletion);
- ``autocorrect="off"`` on the search input (a Safari extension, not in HTML; the input keeps
  ``spellcheck="false"`` and ``autocapitalize="off"``).

The search dialog (``role="dialog"``) also has no accessible name (Lighthouse's
``aria-dialog-name``); it gets the search field's own label.

Why a post-processing step rather than template overrides: the attributes sit inside
``nav-item.html``, ``header.html`` and ``search.html``, partials of 100-200 lines each; copying
them into ``overrides/`` would freeze those copies at this Material version and silently drop
its fixes on every upgrade. Here each rule removes exactly one attribute where it occurs, and
:func:`repair` counts what it changed so a test notices when the theme stops writing them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL_EMPTY_TABINDEX = re.compile(r'(<label\b[^>]*?) tabindex=""')
_CHECKBOX_AUTOCOMPLETE = re.compile(r'(<input\b[^>]*\btype="checkbox"[^>]*?) autocomplete="[^"]*"')
_AUTOCORRECT = re.compile(r'(<input\b[^>]*?) autocorrect="[^"]*"')
_SEARCH_DIALOG = re.compile(r'<div class="md-search" data-md-component="search" role="dialog"(?![^>]*aria-label)')
_SEARCH_LABEL = re.compile(r'<input type="text" class="md-search__input"[^>]*?aria-label="([^"]*)"')


@dataclass(frozen=True)
class Repaired:
    html: str
    changes: int


def repair(html: str) -> Repaired:
    """``html`` without the invalid attributes above, its search dialog named."""
    changes = 0
    for pattern in (_LABEL_EMPTY_TABINDEX, _CHECKBOX_AUTOCOMPLETE, _AUTOCORRECT):
        html, n = pattern.subn(r"\1", html)
        changes += n
    label = _SEARCH_LABEL.search(html)
    if label:
        html, n = _SEARCH_DIALOG.subn(lambda m: f'{m.group(0)} aria-label="{label.group(1)}"', html)
        changes += n
    return Repaired(html, changes)
