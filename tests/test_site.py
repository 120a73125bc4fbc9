"""A real strict build of the site (cold, then warm), checked page by page."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from .conftest import REPO, SUMMARY

pytestmark = pytest.mark.slow

DOCS = REPO / "docs"
PAGES = sorted({p.relative_to(DOCS).as_posix().rsplit(".", 2)[0]
                for p in DOCS.rglob("*.md") if re.search(r"\.(ko|en)\.md$", p.name)})


def page_html(site: Path, slug: str, lang: str) -> Path:
    prefix = site / "en" if lang == "en" else site
    return prefix / "index.html" if slug == "index" else prefix / slug / "index.html"


@cache
def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def article(path: Path):
    return soup(path).select_one("article.md-content__inner")


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
    body = article(path)
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
    assert [Path(s).name for s in ko["figures"]] == [Path(s).name for s in en["figures"]]
    assert ko["tables"] == en["tables"]
    assert ko["math"] == en["math"]


def test_gelu_page_shows_listings_outputs_values_and_figures(built_site):
    body = article(built_site.dir / "activations/gelu/index.html")
    text = body.get_text()
    titles = [t.get_text() for t in body.select(".highlight .filename")]
    assert titles.count("출력") == 5 and "snippets/activations/gelu.py" in titles
    assert "def gelu(x: torch.Tensor)" in text
    assert "ValueError: expected a floating-point tensor" in text  # the real exception message
    assert "{{" not in text and "figure:" not in text
    values = json.loads(next(built_site.cache.glob("jobs/gelu-numbers/*/values.json")).read_text())
    mantissa, exponent = f"{values['tanh']['max_err']:.2e}".split("e")
    assert rf"{mantissa} \times 10^{{-{int(exponent[1:])}}}" in text
    assert f"{values['minimum']['value']:.4f}" in text
    assert len(body.select('img[src$="#only-light"]')) == len(body.select('img[src$="#only-dark"]')) == 4


def test_page_claim_about_the_experiment_holds(built_site):
    """The text says the ReLU/GELU difference is within the seed spread; check the numbers agree."""
    values = json.loads(next(built_site.cache.glob("jobs/gelu-digits/*/values.json")).read_text())
    assert abs(values["difference_pp"]) <= values["spread_pp"]
    assert values["gelu"]["median"] > 0.95 and values["relu"]["median"] > 0.95


def html_files(site: Path):
    return sorted(site.rglob("*.html"))


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
                    ids = {n.get("id") for n in soup(target).find_all(id=True)}
                    if unquote(parts.fragment) not in ids and parts.fragment not in ("only-light", "only-dark"):
                        problems.append(f"{path.relative_to(site)}: anchor {url}")
    assert problems == []


def test_light_and_dark_figures_exist_in_pairs(built_site):
    for path in html_files(built_site.dir):
        imgs = [i["src"] for i in soup(path).find_all("img") if "/assets/figures/" in i["src"]]
        light = sorted(s.removesuffix(".light.svg#only-light") for s in imgs if s.endswith(".light.svg#only-light"))
        dark = sorted(s.removesuffix(".dark.svg#only-dark") for s in imgs if s.endswith(".dark.svg#only-dark"))
        light += sorted(s.removesuffix(".light.png#only-light") for s in imgs if s.endswith(".light.png#only-light"))
        dark += sorted(s.removesuffix(".dark.png#only-dark") for s in imgs if s.endswith(".dark.png#only-dark"))
        assert len(light) + len(dark) == len(imgs), path
        assert light == dark, path
        for src in imgs:
            assert (path.parent / src.split("#")[0]).resolve().is_file()
    figures = sorted(p.name for p in (built_site.dir / "assets/figures").iterdir())
    assert len(figures) % 2 == 0 and all(re.search(r"\.(light|dark)\.(svg|png)$", n) for n in figures)


def test_figures_have_alt_text_in_the_page_language(built_site):
    hangul = re.compile(r"[가-힣]")
    for lang in ("ko", "en"):
        for img in article(page_html(built_site.dir, "activations/gelu", lang)).find_all("img"):
            assert img.get("alt"), img
            assert bool(hangul.search(img["alt"])) == (lang == "ko"), img["alt"]


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
    nav_en = article(built_site.dir / "en/index.html").find_parent("body").select_one("nav.md-nav--primary").get_text()
    nav_ko = soup(built_site.dir / "index.html").select_one("nav.md-nav--primary").get_text()
    assert "Activation functions" in nav_en and "활성화 함수" in nav_ko


def test_search_index_holds_korean_and_english_text(built_site):
    index = json.loads((built_site.dir / "search/search_index.json").read_text())
    text = " ".join(d["text"] + " " + d["title"] for d in index["docs"])
    assert "활성화" in text and "approximation" in text
    assert index["config"]["separator"] == r"[\s\-]+"


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


def prose_numbers(path: Path) -> list[str]:
    body = BeautifulSoup(str(article(path)), "html.parser")
    for node in body.select("pre, code, .highlight"):
        node.decompose()
    text = re.sub(r"\bzeros?\b", "0", body.get_text(), flags=re.I)  # Korean writes 0 where English says zero
    return sorted(re.findall(r"\d+(?:\.\d+)?", text))


@pytest.mark.parametrize("slug", PAGES)
def test_language_pair_states_the_same_numbers(built_site, slug):
    """Every number in the prose and math of one language appears in the other, as often."""
    assert prose_numbers(page_html(built_site.dir, slug, "ko")) == prose_numbers(page_html(built_site.dir, slug, "en"))


def test_vector_jacobian_claims_hold_for_the_measured_timings(built_site):
    """The page says: reverse mode wins with many inputs, forward mode with many outputs, and
    vmap beats one backward pass per row. Check the build's own measurements agree."""
    cost = json.loads(next(built_site.cache.glob("jobs/jacobian-cost/*/values.json")).read_text())
    assert cost["wide_fwd_over_rev"] > 1
    assert cost["tall_fwd_over_rev"] < 1
    assert cost["tall_loop_over_rev"] > 1


def job_values(built_site, job_id: str) -> dict:
    """The values a job wrote in the build under test."""
    return json.loads(next(built_site.cache.glob(f"jobs/{job_id}/*/values.json")).read_text())


def test_lstm_airline_claims_hold(built_site):
    """What the LSTM article's prose says about its table; if a rebuild changes the numbers so
    that a sentence no longer holds, this fails and the sentence has to change."""
    base, runs, val = (job_values(built_site, j) for j in
                       ("lstm-airline-baselines", "lstm-airline-runs", "lstm-airline-validation"))
    rec = {name: base[name]["recursive"]["rmse"] for name in ("seasonal_naive_drift", "sarima", "holt_winters")}
    closed, teacher = runs["closed"]["recursive"]["rmse"], runs["teacher"]["recursive"]["rmse"]
    # validation: the closed loop is chosen, by a small margin, and the drift forecast beats both LSTMs
    assert val["chosen"] == "closed"
    margin = val["teacher"]["recursive"]["rmse"]["median"] - val["closed"]["recursive"]["rmse"]["median"]
    assert 0 < margin < val["closed"]["recursive"]["rmse"]["max"] - val["closed"]["recursive"]["rmse"]["min"]
    assert val["seasonal_naive_drift_rmse"] < min(val[o]["recursive"]["rmse"]["median"] for o in ("teacher", "closed"))
    # one step ahead looks far better than recursive for the teacher-forced LSTM
    assert runs["teacher"]["one_step"]["rmse"]["median"] < 0.6 * teacher["median"]
    # teacher forcing loses to seasonal naive with drift recursively, and spreads more than the closed loop
    assert teacher["median"] > rec["seasonal_naive_drift"]
    assert teacher["max"] - teacher["min"] > closed["max"] - closed["min"]
    # the closed loop beats drift and SARIMA, but not Holt-Winters, by less than its seed spread
    assert rec["holt_winters"] < closed["median"] < rec["seasonal_naive_drift"] < rec["sarima"]
    assert rec["seasonal_naive_drift"] - closed["median"] < closed["max"] - closed["min"]
    assert base["best"] == "holt_winters"
    # the closed-loop training loss stays above the one-step loss (the curves figure's alt text)
    final = {o: sorted(r["losses"][-1] for r in runs[o]["runs"])[2] for o in ("teacher", "closed")}
    assert final["closed"] > final["teacher"]
    # the target: the recursive LSTM beats seasonal naive with drift; each seed under 15 s
    assert runs["beats"]["seasonal_naive_drift"] and runs["max_seconds"] < 15


def test_embedding_claims_hold(built_site):
    """What the nn.Embedding article's prose says about its measurements and learned months."""
    cost, months = job_values(built_site, "embedding-cost"), job_values(built_site, "embedding-months")
    assert cost["ratio"] > 100 and cost["lookup_spread"] < 5  # far cheaper, and flat in the vocabulary
    rows = cost["rows"]
    assert rows[-1]["one_hot_s"] > 10 * rows[0]["one_hot_s"]  # the product grows with the vocabulary
    assert months["explained_min"] > 0.9
    assert months["offset_r2_min"] > 0.95 and months["change_r2_min"] > 0.95
    assert (months["busiest"], months["quietest"]) == ("Jul", "Nov")
    assert months["summer_pairs_total"] > months["summer_pairs_possible"] / 2
    assert months["seed0_nearest"]["Jun"] == "Mar"  # "both rise sharply from the month before"
    change = months["profile"]["change"]
    assert change[2] > 0.1 and change[5] > 0.1  # March and June do


def test_vit_claims_hold(built_site):
    """What the two ViT articles say about the build's own numbers and checkpoint."""
    check, parts, run, sizes = (job_values(built_site, j) for j in
                                ("vit-timm-check", "vit-param-breakdown", "vit-digits", "vit-sizes"))
    assert check["max_diff"] < 1e-5 and check["ours"] == check["timm"] == 5_717_416  # the targets
    tiny = parts["deit_tiny"]["block"]
    assert 1.8 < tiny["mlp"] / tiny["attn"] < 2.2  # "about twice as many parameters as attention"
    assert run["accuracy"] >= 0.97 and run["seconds"] < 60  # "above the dashed 97 % line", under a minute
    assert 0.005 < 307e6 / sizes["vit_l_16"]["parameters"] - 1 < 0.015  # "about 1 % above ours"
    for name, paper_millions in (("deit_ti", 5), ("deit_s", 22), ("deit_b", 86), ("vit_b_16", 86), ("vit_h_14", 632)):
        assert sizes[name]["parameters"] // 10**6 == paper_millions, name  # "the papers round down"

    import torch

    from snippets.vit.digits import load_checkpoint

    model, _ = load_checkpoint(next(built_site.cache.glob("jobs/vit-digits/*/vit-digits.pt")))
    pos = model.pos_embed.detach()[0, 1:]
    unit = pos / pos.norm(dim=1, keepdim=True)
    similarity = unit @ unit.T
    g = model.config.grid_size
    rows, cols = torch.arange(g * g) // g, torch.arange(g * g) % g
    distance = (rows[:, None] - rows[None]).abs() + (cols[:, None] - cols[None]).abs()
    assert (similarity.argmax(dim=1) == torch.arange(g * g)).all()  # the brightest cell is the patch itself
    assert similarity[distance == 1].mean() > similarity[distance >= 3].mean()  # neighbours are more alike


def test_tcn_claims_hold(built_site):
    """What the TCN article says about its receptive fields and the adding problem."""
    receptive, run = job_values(built_site, "tcn-receptive"), job_values(built_site, "tcn-adding")
    assert receptive["all_equal"] and len(receptive["rows"]) == 6
    assert run["parameter_spread"] < 0.10  # "about the same number of parameters"
    models = run["models"]
    assert models["TCN"]["final_mse"] < 0.01  # the target: well below 0.01
    assert models["LSTM"]["final_mse"] > 0.5 * run["baseline_mse"]  # near the trivial baseline
    assert models["TCN"]["final_mse"] < models["GRU"]["final_mse"] < 0.1 * run["baseline_mse"]  # GRU learns too
    assert 0.15 < run["baseline_mse"] < 0.19 and run["total_seconds"] < 300


def test_tcn_airline_claims_hold(built_site):
    """The TCN article's airline paragraph: a lower median than the LSTM and Holt-Winters, but
    a seed spread wider than the gaps; under a minute per seed."""
    run = job_values(built_site, "tcn-airline")
    rmse = run["recursive"]["rmse"]
    assert rmse["median"] < run["lstm_closed_rmse"] and rmse["median"] < run["holt_winters_rmse"]
    spread = rmse["max"] - rmse["min"]
    assert spread > run["lstm_closed_rmse"] - rmse["median"] and spread > run["holt_winters_rmse"] - rmse["median"]
    assert max(r["seconds"] for r in run["runs"]) < 60


def test_vit_fine_tuning_claims_hold(built_site):
    """What /vit/fine-tuning/ says about its two experiments; if a rebuild changes the numbers so that
    a sentence no longer holds, this fails and the sentence has to change."""
    res, swap = job_values(built_site, "vit-finetune-resolution"), job_values(built_site, "vit-finetune-head-swap")
    runs = res["runs"]
    assert (res["before"]["tokens"], res["after"]["tokens"]) == (17, 65)  # "a 4×4 grid ... an 8×8 grid"
    # resampled is highest from the start and stays ahead; "well below" its 16×16 accuracy before fine-tuning
    for step in ("at_0", "at_50", "at_100", "at_300"):
        assert runs["resample"][step] > runs["new_pos"][step] > runs["scratch"][step], step
    assert runs["resample"]["at_0"] < res["native"] - 0.05
    assert runs["resample"]["final"] > runs["resample"]["at_0"]  # "fine-tuning brings it back"
    assert runs["new_pos"]["final"] < runs["resample"]["final"] - 0.03  # "still at ..." (has to relearn)
    assert runs["scratch"]["final"] < 0.8  # "only reaches"
    # no position embeddings "throws the layout away"; new random ones start about where none at all stand
    assert res["no_pos"]["native"] < res["native"] - 0.2 and res["no_pos"]["bigger"] < res["no_pos"]["native"]
    assert abs(runs["new_pos"]["at_0"] - res["no_pos"]["bigger"]) < 0.03
    assert res["similarity_change"]["correlation"] > 0.99  # "fine-tuning changes it little"
    assert res["threads"] == swap["threads"] == 1  # "on one CPU thread"
    # head swap: both new-head models start from the share of fives; the swap leads early, scratch overtakes
    fives = swap["runs"]["swap"]["at_0"]
    assert swap["runs"]["probe"]["at_0"] == fives and 0.15 < fives < 0.25
    assert swap["runs"]["swap"]["at_50"] > swap["runs"]["scratch"]["at_50"] + 0.1  # "clearly helps early on"
    assert swap["scratch_ahead_from"] is not None and swap["scratch_ahead_from"] < swap["steps"]
    assert swap["runs"]["scratch"]["final"] > swap["runs"]["swap"]["final"]
    # the SGD probe levels off below what a converged linear head reaches on the same features, and
    # that is still below fine-tuning everything and training from scratch
    assert swap["runs"]["probe"]["final"] < swap["linear_fit"] - 0.05
    assert swap["linear_fit"] < swap["runs"]["swap"]["final"] < swap["runs"]["scratch"]["final"]
    probe = swap["runs"]["probe"]["history"]["test_accuracy"]
    assert max(probe[-4:]) - min(probe[-4:]) < 0.03  # "levels off"

    from snippets.vit.digits import load_checkpoint

    model, meta = load_checkpoint(next(built_site.cache.glob("jobs/vit-finetune-resolution/*/vit-digits-32.pt")))
    assert model.config.img_size == 32 and meta["fine_tuned_from"] == "vit-digits.pt"


def test_vit_attention_map_claims_hold(built_site):
    """What /vit/attention-map/ says about the digits model's maps, and the offline fallback."""
    maps = job_values(built_site, "vit-attn-digits")
    ink = maps["ink"]
    assert ink["cls"]["d1"] < ink["patches"]  # the first block's class token looks mostly at the background
    assert ink["cls"]["d4"] > ink["patches"] > ink["cls"]["d1"]  # "rises ... somewhat more than their share"
    assert ink["rollout"]["d4"] > ink["rollout"]["d1"]
    assert abs(ink["rollout"]["d4"] - ink["patches"]) < 0.05  # "about the share of such patches"
    evenness = maps["evenness"]["rollout"]
    assert evenness["d4"] > 0.95 and evenness["d4"] > evenness["d1"]  # "spread almost evenly"
    uniform = maps["uniform_distance"]
    # "every head in every block ... close to looking at all patches equally; no local head"
    assert 0.9 * uniform < maps["distance_range"]["min"] and maps["distance_range"]["max"] < 1.15 * uniform
    deit = job_values(built_site, "vit-deit-attention")
    if not deit["available"]:  # the default, offline build: the page says so and shows no DeiT maps
        from snippets.vit.attention_maps import NO_WEIGHTS_MESSAGE

        for lang, title in (("ko", "사전 학습"), ("en", "No pretrained weights")):
            page = article(page_html(built_site.dir, "vit/attention-map", lang))
            notes = [n for n in page.select(".admonition.note") if title in n.get_text()]
            assert len(notes) == 1, lang
            assert NO_WEIGHTS_MESSAGE in page.get_text()
            assert not page.select('img[src*="vit-deit-maps"]')
