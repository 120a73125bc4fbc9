"""Model Notes' build jobs: figures, captured outputs and computed values for the pages.

Job modules import the decorators from here::

    from snippets.build import figure, output, values

Importing this package is cheap (standard library only); the machinery behind it lives in
``jobs`` (declarations), ``deps`` and ``cache`` (keys), ``runner`` and ``worker`` (running),
``theme`` (light/dark figures), ``notebooks`` (companion notebooks), ``pages`` (placeholders,
generated page text), ``generated`` (files added to the site), ``bench`` (``make bench``) and
``mkdocs_hook`` (MkDocs glue). The command line is ``python -m snippets.build --help``.
"""

from .jobs import figure, output, values
from .progress import report, track

__all__ = ["figure", "output", "values", "report", "track"]
