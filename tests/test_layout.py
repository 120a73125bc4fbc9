"""The one rule for where things live (README, "Layout"), checked:

- an article ``docs/<section>/<slug>.<lang>.md`` has its own code, and every build job of its
  page, in ``snippets/articles/<section>/<slug>.py`` (hyphens become underscores), and its tests
  in ``tests/articles/<section>/test_<slug>.py``;
- everything else in ``snippets/`` is a library module named for what it is, and declares no job;
- tests mirror ``snippets/``: ``tests/<path>/test_<module>.py`` tests ``snippets/<path>/<module>.py``
  (``tests/site/`` holds the tests of the built site as a whole).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from snippets.build.runner import make_plan
from tests.conftest import REPO

PLAN = make_plan()
ARTICLES = sorted({spec.page for spec in PLAN.jobs.values()})
SNIPPETS, TESTS = REPO / "snippets", REPO / "tests"


def article_module(page: str) -> Path:
    return SNIPPETS / "articles" / (page.replace("-", "_") + ".py")


def article_tests(page: str) -> Path:
    section, slug = page.rsplit("/", 1)
    return TESTS / "articles" / section / f"test_{slug.replace('-', '_')}.py"


def test_the_ten_articles_have_jobs():
    assert len(ARTICLES) == 10 and "vit/fine-tuning" in ARTICLES


@pytest.mark.parametrize("page", ARTICLES)
def test_an_article_has_one_module_and_one_test_module(page):
    assert article_module(page).is_file(), article_module(page)
    assert article_tests(page).is_file(), article_tests(page)
    for lang in ("ko", "en"):
        assert (REPO / "docs" / f"{page}.{lang}.md").is_file()


def test_every_job_lives_in_its_article_s_module():
    misplaced = [f"{spec.id} ({spec.where}): page {spec.page!r}, expected in {article_module(spec.page)}"
                 for spec in PLAN.jobs.values()
                 if spec.kind != "notebook" and spec.path.resolve() != article_module(spec.page).resolve()]
    assert misplaced == []


def test_article_modules_belong_to_a_page():
    modules = {p for p in (SNIPPETS / "articles").rglob("*.py") if p.name != "__init__.py"}
    assert modules == {article_module(page) for page in ARTICLES}


def test_tests_mirror_the_package():
    """Every test module names the module it tests by its path."""
    strays = []
    for path in TESTS.rglob("test_*.py"):
        rel = path.relative_to(TESTS)
        if rel.parts[0] == "site" or rel == Path("articles/test_quick_profiles.py") or rel == Path("test_layout.py"):
            continue
        target = SNIPPETS / rel.parent / (rel.name.removeprefix("test_"))
        if not target.is_file():
            strays.append(f"{rel}: no {target.relative_to(REPO)}")
    assert strays == []


def test_library_modules_have_their_unit_tests():
    missing = []
    for path in SNIPPETS.rglob("*.py"):
        rel = path.relative_to(SNIPPETS)
        if path.name == "__init__.py" or rel.parts[0] in ("articles", "build"):
            continue
        if not (TESTS / rel.parent / f"test_{path.name}").is_file():
            missing.append(str(rel))
    assert missing == []


def test_pytest_collects_every_test_folder(request):
    """pytest skips folders matching ``norecursedirs`` (by default ``build`` among them); none of
    the test tree's folders may match, or its tests silently never run."""
    import fnmatch

    patterns = request.config.getini("norecursedirs")
    skipped = [str(d.relative_to(TESTS)) for d in TESTS.rglob("*") if d.is_dir() and d.name != "__pycache__"
               and any(fnmatch.fnmatch(d.name, p) for p in patterns)]
    assert skipped == []
