"""A small synthetic site for the tests of the build machinery: the real ``snippets/build`` and
MkDocs hook, two languages, and one article whose jobs import neither torch nor the articles.

Infrastructure tests edit this site, never an article's prose, so rewording an article breaks
no infrastructure test (and they build in seconds).
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARTICLE = "demo/sample"  # the article's page
MODULE = "snippets/articles/demo/sample.py"  # its jobs
PAGE_KO, PAGE_EN = f"docs/{ARTICLE}.ko.md", f"docs/{ARTICLE}.en.md"
FIGURE_JOB = "sample-curve"

CONFIG = """\
site_name: Sample
site_url: http://127.0.0.1:8000/
docs_dir: docs
theme:
  name: material
  custom_dir: overrides  # the real site's overrides, copied
  language: ko
  font: false
  palette:  # as the real site: the reader's system preference picks light or dark
    - media: "(prefers-color-scheme: light)"
      scheme: default
      toggle:
        icon: material/weather-night
        name: dark
    - media: "(prefers-color-scheme: dark)"
      scheme: slate
      toggle:
        icon: material/weather-sunny
        name: light
plugins:
  - search
  - i18n:
      docs_structure: suffix
      fallback_to_default: false
      reconfigure_material: true
      languages:
        - locale: ko
          default: true
          name: 한국어
          build: true
        - locale: en
          name: English
          build: true
nav:
  - index.md
  - demo/sample.md
hooks:
  - snippets/build/mkdocs_hook.py
watch:
  - snippets
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - pymdownx.details
  - pymdownx.highlight
  - pymdownx.superfences
  - pymdownx.snippets:
      base_path: ["."]
      check_paths: true
      dedent_subsections: true
"""

JOBS = '''\
"""The sample article's jobs."""

from matplotlib.figure import Figure

from snippets.build import figure, output, values

SIZE = 3


@values("sample-numbers", page="demo/sample", quick={"size": 2})
def numbers(size: int = SIZE) -> dict:
    return {"total": sum(range(size + 1)), "size": size}


@output("sample-hello", page="demo/sample")
def hello():
    # --8<-- [start:hello]
    words = ["hello", "sample"]
    print(" ".join(words))
    # --8<-- [end:hello]


@figure("sample-curve", page="demo/sample", needs=("sample-numbers",))
def curve(theme, sample_numbers) -> Figure:
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.plot(range(sample_numbers["size"] + 1), linewidth=2.0)
    ax.set(xlabel=theme.text(ko="스텝", en="step"), ylabel=theme.text(ko="값", en="value"))
    return fig
'''

PAGES = {
    "docs/index.ko.md": "# 샘플\n\n[글](demo/sample.md)\n",
    "docs/index.en.md": "# Sample\n\n[Article](demo/sample.md)\n",
    PAGE_KO: """\
        ---
        description: 샘플 글입니다.
        ---

        # 샘플 글

        ## 코드

        ```python title="snippets/articles/demo/sample.py"
        --8<-- "snippets/articles/demo/sample.py:hello"
        ```

        {{ output sample-hello }}

        합계는 {{ sample-numbers.total }}입니다.

        ![값이 늘어나는 선 그래프입니다.](figure:sample-curve)
        """,
    PAGE_EN: """\
        ---
        description: A sample article.
        ---

        # Sample article

        ## Code

        ```python title="snippets/articles/demo/sample.py"
        --8<-- "snippets/articles/demo/sample.py:hello"
        ```

        {{ output sample-hello }}

        The total is {{ sample-numbers.total }}.

        ![A line that goes up.](figure:sample-curve)
        """,
}


def write_site(root: Path) -> Path:
    """The sample site under ``root`` (created); returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "snippets" / "build", root / "snippets" / "build",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "overrides", root / "overrides")
    files = {"mkdocs.yml": CONFIG, MODULE: JOBS, "snippets/__init__.py": "",
             "snippets/articles/__init__.py": "", "snippets/articles/demo/__init__.py": "", **PAGES}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root
