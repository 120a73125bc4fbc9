"""The built site in headless Chromium (Debian's package, driven by Playwright): both
languages, the language switcher, dark mode, math, search, and no console errors."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading

import pytest

from tests.conftest import ARTICLES, Server, edit, page_body, page_html
from tests.sample_site import ARTICLE, FIGURE_JOB, MODULE

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site_url(built_site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(built_site.dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """A page that records console errors, failed requests and requests to other origins."""

    def __init__(self, browser, base: str, color_scheme: str = "light"):
        self.context = browser.new_context(color_scheme=color_scheme, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        # a request the browser aborted because the page navigated away is not a failure
        self.page.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED"
                     and self.errors.append(f"request failed: {r.url} ({r.failure})"))
        self.page.on("request", lambda r: r.url.startswith(("http:", "https:")) and not r.url.startswith(base)
                     and self.foreign.append(r.url))

    def goto(self, path: str, wait_until: str = "networkidle"):
        response = self.page.goto(self.base + path, wait_until=wait_until)
        assert response.status == 200, path
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def page(browser, site_url):
    p = Page(browser, site_url)
    yield p
    assert p.errors == [], "console errors"
    assert p.foreign == [], "requests to other origins"
    p.close()


def visible_figure_srcs(pg) -> list[str]:
    return pg.eval_on_selector_all(
        "article img.figure", "imgs => imgs.filter(i => i.offsetParent !== null && i.complete"
        " && i.naturalWidth > 0).map(i => i.getAttribute('src'))")


@pytest.mark.parametrize("path, lang", [("/activations/gelu/", "ko"), ("/en/activations/gelu/", "en")])
def test_gelu_page_loads_with_math_and_figures(page, built_site, path, lang):
    pg = page.goto(path)
    assert pg.get_attribute("html", "lang") == lang
    headings = [h.get_text().strip("¶ ") for h in page_body(page_html(built_site.dir, "activations/gelu", lang))
                .find_all("h2")]
    assert [h.strip("¶ ") for h in pg.locator("article h2").all_inner_texts()] == headings
    pg.wait_for_selector(".katex")
    assert pg.locator("article .arithmatex .katex").count() == pg.locator("article .arithmatex").count() > 10
    assert pg.locator("article .katex-error").count() == 0
    srcs = visible_figure_srcs(pg)
    assert len(srcs) == 4 and all(s.endswith(f".{lang}-light.svg#only-light") for s in srcs)


def test_code_blocks_get_their_copy_button_when_they_come_into_view(page):
    """Material mounts code blocks lazily (mkdocs.yml: content.lazy): a listing far down the page
    has no copy button at first, and has one once the reader scrolls to it; the button copies."""
    pg = page.goto("/vit/implementation/")
    last = pg.locator("article > div.highlight").last  # the last listing (not one folded in <details>)
    copy = 'button[data-md-type="copy"]'  # Material's copy button
    assert last.locator(copy).count() == 0  # not mounted while far below the fold
    last.scroll_into_view_if_needed()
    button = last.locator(copy)
    button.wait_for(state="attached", timeout=5000)
    assert pg.locator(f"article > div.highlight {copy}").count() < pg.locator("article > div.highlight").count()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    button.click()
    copied = pg.evaluate("navigator.clipboard.readText()")
    assert copied.strip() and copied.strip().splitlines()[0] in last.locator("pre").inner_text()


def test_dark_mode_toggle_shows_the_dark_figures(page):
    pg = page.goto("/activations/gelu/")
    assert pg.get_attribute("body", "data-md-color-scheme") == "default"
    pg.locator("label.md-header__button[for^='__palette']:visible").first.click()
    pg.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    pg.wait_for_function("[...document.querySelectorAll('article img.figure')]"
                         ".filter(i => i.offsetParent !== null).every(i => i.src.includes('-dark.'))")
    srcs = visible_figure_srcs(pg)
    assert len(srcs) == 4 and all(s.endswith(".ko-dark.svg#only-dark") for s in srcs)


def test_system_dark_preference_picks_the_dark_scheme(browser, site_url):
    p = Page(browser, site_url, color_scheme="dark")
    try:
        pg = p.goto("/en/activations/gelu/")
        assert pg.get_attribute("body", "data-md-color-scheme") == "slate"
        assert all(s.endswith("#only-dark") for s in visible_figure_srcs(pg))
        assert p.errors == []
    finally:
        p.close()


def test_language_switcher_lands_on_the_same_page(page):
    pg = page.goto("/activations/gelu/")
    pg.locator(".md-header__option .md-select").hover()
    pg.locator(".md-select__link[hreflang='en']").click()
    pg.wait_for_url("**/en/activations/gelu/")
    assert pg.get_attribute("html", "lang") == "en"
    pg.locator(".md-header__option .md-select").hover()
    pg.locator(".md-select__link[hreflang='ko']").click()
    pg.wait_for_url("**/activations/gelu/")
    assert not pg.url.rstrip("/").endswith("/en/activations/gelu")
    assert pg.get_attribute("html", "lang") == "ko"


# One Korean and one English query a reader would type for each article (test_search_table_covers_every_article
# keeps it complete): the article must be the first page in the results, in the reader's language.
SEARCHES = {
    "activations/gelu": ("GELU 근사", "GELU approximation"),
    "autograd/vector-jacobian": ("야코비안", "jacobian"),
    "autograd/retain-graph": ("기울기 누적", "gradient accumulation"),
    "sequence/lstm-airline": ("항공 승객", "airline"),
    "sequence/tcn": ("시간 합성곱", "temporal convolution"),
    "nlp/embedding": ("임베딩", "embedding"),
    "vit/architecture": ("비전 트랜스포머 구조", "architecture"),
    "vit/fine-tuning": ("파인튜닝", "fine-tuning"),
    "vit/attention-map": ("어텐션 롤아웃", "rollout"),
    "vit/implementation": ("직접 구현", "from scratch"),
}


def search(pg, query: str) -> tuple[list[str], list[str]]:
    """Type ``query`` into the search box as a reader does; the distinct pages of the results in
    order (site paths, no fragments) and the texts Material marked as matches."""
    pg.locator("input.md-search__input").click()
    pg.keyboard.type(query, delay=20)
    # Hangul arrives as text input without key events (as from an IME); Material's search
    # reacts to key events, so finish the way a reader does after composing: a key press.
    pg.keyboard.press("End")
    pg.wait_for_selector(".md-search-result__item")
    pg.wait_for_function("q => document.querySelector('.md-search-result__meta') !== null", arg=query)
    links = pg.eval_on_selector_all(".md-search-result__item > a", "as => as.map(a => a.pathname)")
    marks = pg.eval_on_selector_all(".md-search-result mark", "ms => ms.map(m => m.textContent)")
    return list(dict.fromkeys(links)), marks


def test_search_table_covers_every_article():
    assert sorted(SEARCHES) == ARTICLES


@pytest.mark.parametrize("article, lang", [(a, lang) for a in SEARCHES for lang in ("ko", "en")])
def test_search_lists_the_article_first_in_the_readers_language(page, article, lang):
    root = "/" if lang == "ko" else "/en/"
    pg = page.goto(root + article + "/")
    pages, _ = search(pg, SEARCHES[article][lang == "en"])
    assert pages[0] == f"{root}{article}/", pages[:5]
    assert all(p.startswith("/en/") == (lang == "en") for p in pages), pages  # only the reader's language
    if f"{root}{article}/notebook/" in pages:  # an article comes before its own notebook
        assert pages.index(f"{root}{article}/") < pages.index(f"{root}{article}/notebook/")


def test_search_from_the_home_pages_stays_in_their_language(page):
    for root, query in (("/", "임베딩"), ("/en/", "embedding")):
        pg = page.goto(root)
        pages, _ = search(pg, query)
        assert pages[0] == f"{root}nlp/embedding/", pages[:5]
        assert all(p.startswith("/en/") == (root == "/en/") for p in pages), pages


def test_a_korean_word_is_found_with_its_particles(page):
    """Korean glues particles to words (임베딩을, 임베딩은): the bare word finds them too."""
    pg = page.goto("/nlp/embedding/")
    _, marks = search(pg, "임베딩")
    with_particle = {m for m in marks if re.fullmatch(r"임베딩[가-힣]+", m)}
    assert with_particle, marks[:20]


def test_404_page_is_bilingual(page, site_url):
    response = page.page.goto(site_url + "/no/such/page/")
    assert response.status == 404
    # python's http.server sends its own 404 body: check the site's 404.html directly
    pg = page.goto("/404.html")
    assert "페이지를 찾을 수 없습니다" in pg.content() and "Page not found" in pg.content()
    page.errors = [e for e in page.errors if "404" not in e]


def test_serve_reloads_the_open_page_with_the_new_figure(browser, sample):
    """The writer's loop in a real browser: `mkdocs serve --livereload` on the synthetic sample
    site, its article open; saving its job module re-runs its jobs and the page reloads itself."""
    project, cache = sample
    server = Server(project, cache)
    try:
        server.wait_for_build_done(1)
        base = f"http://127.0.0.1:{server.port}"
        p = Page(browser, base)
        pg = p.goto(f"/{ARTICLE}/", wait_until="load")  # livereload long-polls: never idle
        src = f"/assets/figures/{FIGURE_JOB}.ko-light.svg"
        before = p.context.request.get(base + src).body()
        pg.evaluate("window.__not_reloaded = true")
        summaries = len(server.summaries())
        edit(project / MODULE, "linewidth=2.0", "linewidth=3.0")
        # The page reloads once the jobs have been handed over (it may show the notice of a job
        # still running), and again as each one ends, until every job has run.
        for _ in range(10):
            pg.wait_for_function("window.__not_reloaded === undefined", timeout=120_000)  # livereload fired
            pg.wait_for_load_state("load")
            if len(server.summaries()) > summaries and pg.locator(".job-pending").count() == 0:
                break
            pg.evaluate("window.__not_reloaded = true")
        assert server.summaries()[-1][0] == 4  # the three jobs in the module and its notebook, nothing else
        after = p.context.request.get(base + src).body()
        assert after != before and after.startswith(b"<?xml")
        assert len(visible_figure_srcs(pg)) == 1
        assert p.errors == [] and p.foreign == []
        p.close()
    finally:
        server.stop()


def test_serve_shows_a_notice_then_reloads_with_the_result_when_a_slow_job_ends(browser, sample):
    """A writer opens a page whose job is still running: the page shows the notice in its language;
    when the job ends, the page reloads by itself with the job's result."""
    from tests.build.test_mkdocs_hook import SLOW, use_slow_job

    project, cache = sample
    use_slow_job(project)
    server = Server(project, cache)
    try:
        server.wait_for_build_done(1, timeout=SLOW)
        p = Page(browser, f"http://127.0.0.1:{server.port}")
        for path, notice, done in ((f"/{ARTICLE}/", "느린 값: (계산하는 중)", "느린 값: 42"),
                                   (f"/en/{ARTICLE}/", "Slow value: (still being computed)", "Slow value: 42")):
            pg = p.goto(path, wait_until="load")
            text = pg.locator("article").inner_text()
            if not server.summaries():  # the job has not ended yet
                assert notice in text, text
            pg.wait_for_function(f"document.querySelector('article').innerText.includes({done!r})",
                                 timeout=(SLOW + 60) * 1000)  # reloaded by itself, with the value
        assert server.summaries()[0] == (1, 4, 0)
        assert p.errors == [] and p.foreign == []
        p.close()
    finally:
        server.stop()


@pytest.mark.parametrize("path", ["/activations/gelu/notebook/", "/en/activations/gelu/notebook/",
                                  "/build-report/", "/en/build-report/"])
def test_generated_pages_load_cleanly(page, path):
    pg = page.goto(path)
    assert pg.locator("article h1").count() == 1
    if "notebook" in path:
        assert pg.locator("[id^='cell-id=cell-'] .jp-OutputArea-output").count() == 5  # the five listings that print
        # and each cell that redraws a figure shows the figure it drew
        for cell in pg.locator("[id^='cell-id=rerun-']").all():
            assert cell.locator(".jp-OutputArea-output").count() >= 1
        pg.locator("article a[href$='gelu.ipynb']").first.wait_for()


def test_no_code_block_scrolls_sideways_in_the_widest_layout(page):
    """At 1280 px, navigation and table of contents both shown, the content column is at its
    narrowest wide layout: listings (88 characters at most) fit, and long output lines wrap."""
    for article in ARTICLES:
        for root in ("/", "/en/"):
            pg = page.goto(root + article + "/", wait_until="load")
            wide = pg.evaluate("""() => [...document.querySelectorAll('article pre > code')]
                .filter(c => c.scrollWidth > c.clientWidth)
                .map(c => c.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b))""")
            assert wide == [], (root + article, wide)
