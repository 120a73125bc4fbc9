"""Model Notes' build jobs: figures, captured outputs and computed values for the pages.

Job modules import the decorators from here::

    from snippets.build import figure, output, values

Importing this package is cheap (standard library only). The machinery behind it, one module
per stage:

- ``jobs``: declarations, checked by one validator for the decorators and the source reader;
- ``deps`` and ``cache``: what a job depends on, and its key and cache entry;
- ``runner`` and ``worker``: the plan, the lanes, the time limits, running one job;
- ``shards``: a build split among machines, and the merge of their cache entries;
- ``languages``: the site's languages, read from ``mkdocs.yml``;
- ``variants`` and ``theme``: figure variants (language × light/dark), their fonts and colours;
- ``syntax`` and ``pages``: what writers put in a page, and filling it in;
- ``math``, ``reading_time``, ``valid_html`` and ``search``: typeset formulas, reading times,
  valid HTML, one search index per language;
- ``ui``: every string the build writes into the site, in every language;
- ``notebooks`` and ``rerun``: the companion notebooks, and their cells that redraw a figure;
- ``generated``: files added to the site; ``environment``: where a build and a job ran;
- ``progress``: progress lines of long jobs;
- ``bench`` and ``shard_bench``: ``make bench`` and ``make bench-shards``;
- ``mkdocs_hook``: the thin MkDocs glue.

The command line is ``python -m snippets.build --help``.
"""

from .jobs import figure, output, values
from .progress import report, track

__all__ = ["figure", "output", "values", "report", "track"]
