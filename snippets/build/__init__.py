"""Model Notes' build jobs: figures, captured outputs and computed values for the pages.

Job modules import the decorators from here::

    from snippets.build import figure, output, values

Importing this package is cheap (standard library only). The machinery behind it, one module
per stage:

- ``jobs``: declarations, checked by one validator for the decorators and the source reader;
- ``deps`` and ``cache``: what a job depends on, and its key and cache entry;
- ``runner`` and ``worker``: the plan, the lanes, the time limits, running one job;
- ``languages``: the site's languages, read from ``mkdocs.yml``;
- ``variants`` and ``theme``: figure variants (language × light/dark), their fonts and colours;
- ``syntax`` and ``pages``: what writers put in a page, and filling it in;
- ``ui``: every string the build writes into the site, in every language;
- ``notebooks``: the companion notebooks; ``generated``: files added to the site;
- ``progress``: progress lines of long jobs; ``bench``: ``make bench``;
- ``mkdocs_hook``: the thin MkDocs glue.

The command line is ``python -m snippets.build --help``.
"""

from .jobs import figure, output, values
from .progress import report, track

__all__ = ["figure", "output", "values", "report", "track"]
