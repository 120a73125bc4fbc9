"""One search index per language (snippets/build/search.py), on a hand-written site index."""

from __future__ import annotations

import json

import pytest

from snippets.build import search

LANGS = ("ko", "en")


def write_index(site, docs):
    path = site / "search" / "search_index.json"
    path.parent.mkdir(parents=True)
    config = {"lang": ["en", "ko"], "separator": r"[\s\-]+", "pipeline": [],
              "fields": {"title": {"boost": 1000.0}, "text": {"boost": 1.0}}}
    path.write_text(json.dumps({"config": config, "docs": docs}))


def read(site, root=""):
    return json.loads((site / root / "search" / "search_index.json").read_text())


DOCS = [
    {"location": "", "title": "Model Notes", "text": "글 목록"},
    {"location": "#글-목록", "title": "글 목록", "text": "GELU"},
    {"location": "activations/gelu/", "title": "GELU", "text": "근사"},
    {"location": "activations/gelu/#근사", "title": "근사", "text": "tanh"},
    {"location": "activations/gelu/notebook/", "title": "GELU: 노트북", "text": "import torch"},
    {"location": "build-report/", "title": "빌드 보고서", "text": "gelu-curves"},
    {"location": "en/", "title": "Model Notes", "text": "Articles"},
    {"location": "en/activations/gelu/", "title": "GELU", "text": "approximation", "boost": 2.0},
    {"location": "en/activations/gelu/#tanh", "title": "tanh", "text": "approximation"},
    {"location": "en/activations/gelu/notebook/", "title": "GELU: notebook", "text": "import torch"},
]


def test_each_language_gets_only_its_own_pages_at_its_own_root(tmp_path):
    write_index(tmp_path, DOCS)
    assert search.split_index(tmp_path, LANGS) == {"ko": 6, "en": 4}
    ko, en = read(tmp_path), read(tmp_path, "en")
    assert [d["location"] for d in ko["docs"]] == [d["location"] for d in DOCS[:6]]
    assert [d["location"] for d in en["docs"]] == ["", "activations/gelu/", "activations/gelu/#tanh",
                                                   "activations/gelu/notebook/"]
    assert ko["config"]["lang"] == ["ko"] and en["config"]["lang"] == ["en"]
    assert ko["config"]["separator"] == en["config"]["separator"] == r"[\s\-]+"  # mkdocs.yml's, kept


def test_each_language_keeps_the_pipeline_of_materials_translation():
    assert search.theme_pipeline("en") == ["stopWordFilter"]
    assert search.theme_pipeline("ko") == []  # Korean words are matched by prefix, particles and all
    with pytest.raises(FileNotFoundError, match="no translation for language 'xx'"):
        search.theme_pipeline("xx")


def test_boosts_rank_titles_then_articles_then_notebooks_then_lists(tmp_path):
    write_index(tmp_path, DOCS)
    search.split_index(tmp_path, LANGS)
    ko = {d["location"]: d.get("boost", 1.0) for d in read(tmp_path)["docs"]}
    en = {d["location"]: d.get("boost", 1.0) for d in read(tmp_path, "en")["docs"]}
    assert ko["activations/gelu/"] == search.PAGE_TITLE > ko["activations/gelu/#근사"] == 1.0
    assert ko["activations/gelu/#근사"] > ko["activations/gelu/notebook/"] == search.NOTEBOOK
    assert ko["activations/gelu/notebook/"] > ko[""] == ko["#글-목록"] == ko["build-report/"] == search.LISTING
    assert en["activations/gelu/"] == 2.0 * search.PAGE_TITLE  # a page's own boost (front matter) is kept


def test_a_missing_index_says_where_it_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="search_index.json"):
        search.split_index(tmp_path, LANGS)


@pytest.mark.parametrize("url, lang, root", [
    ("", "ko", "./"),
    ("activations/gelu/", "ko", "../../"),
    ("activations/gelu/notebook/", "ko", "../../../"),
    ("en/", "en", "./"),
    ("en/activations/gelu/", "en", "../../"),  # from /en/activations/gelu/ to /en/
    ("404.html", "ko", "./"),
    ("en/404.html", "en", "./"),
])
def test_lang_root_is_the_languages_root_relative_to_the_page(url, lang, root):
    assert search.lang_root(url, lang, LANGS) == root
