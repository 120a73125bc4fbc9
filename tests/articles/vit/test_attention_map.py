"""The DeiT-Tiny jobs of /vit/attention-map/: the offline fallback, the path with weights, and the
weights locations their cache keys watch."""

import glob
import json
import os
from pathlib import Path

import huggingface_hub.constants
import pytest
import timm
import torch
from matplotlib.figure import Figure
from safetensors.torch import save_file

from snippets.articles.vit import attention_map as tour
from snippets.build.jobs import jobs_in_source
from snippets.build.theme import theme
from snippets.vit import attention_maps
from tests.conftest import job_values, page_body, page_html

SOURCE = Path(tour.__file__)


@pytest.fixture
def no_weights(monkeypatch, tmp_path):
    """No weights anywhere: the variable unset and an empty Hugging Face cache."""
    monkeypatch.delenv(attention_maps.WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory) -> tuple[Path, dict]:
    """A DeiT-Tiny weights file written by the test from a randomly initialised model."""
    torch.manual_seed(0)
    state = timm.create_model(attention_maps.DEIT_TINY, pretrained=False).state_dict()
    path = tmp_path_factory.mktemp("weights") / "deit-tiny.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    return path, state


def external_patterns(function: str) -> tuple[str, ...]:
    """The ``external=`` patterns of one job, as the build reads them from the source."""
    specs = jobs_in_source(SOURCE.read_text(encoding="utf-8"), SOURCE, "m")
    return next(spec.external for spec in specs if spec.function == function)


def test_without_weights_the_job_reports_the_documented_fallback(no_weights, capsys):
    result = tour.deit_attention()
    assert result == {"available": False, "message": attention_maps.NO_WEIGHTS_MESSAGE}
    tour.deit_status()
    assert capsys.readouterr().out.strip() == attention_maps.NO_WEIGHTS_MESSAGE
    assert "MODEL_NOTES_DEIT_TINY_WEIGHTS" in attention_maps.NO_WEIGHTS_MESSAGE
    # the figure says in words that there is nothing to show, and draws no axes (no random maps)
    with theme("en-light").context():
        fig = next(tour.deit_maps([theme("en-light")], result))
    assert isinstance(fig, Figure) and fig.axes == []
    assert "No pretrained DeiT-Tiny weights" in fig.texts[0].get_text()


def test_with_a_weights_file_the_jobs_use_it(no_weights, monkeypatch, weights_file, capsys):
    path, state = weights_file
    monkeypatch.setenv(attention_maps.WEIGHTS_ENV, str(path))
    model, message = attention_maps.load_deit_tiny()
    assert str(path) in message and model is not None
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    result = tour.deit_attention()
    assert result["available"] is True and str(path) in result["message"]
    assert result["grid"] == 14 and len(result["distance"]) == 12 and len(result["distance"][0]) == 3
    assert isinstance(result["top"]["name"], str) and 0 < result["top"]["probability"] <= 1
    tour.deit_status()
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == message and len(lines) == 6  # the source, then the top 5 classes
    with theme("en-light").context():
        fig = next(tour.deit_maps([theme("en-light")], result))
    assert len(fig.axes) == 8


def test_a_weights_variable_naming_a_missing_file_fails_loudly(monkeypatch, tmp_path):
    monkeypatch.setenv(attention_maps.WEIGHTS_ENV, str(tmp_path / "nothing.safetensors"))
    with pytest.raises(FileNotFoundError, match="MODEL_NOTES_DEIT_TINY_WEIGHTS is set to"):
        tour.deit_attention()


@pytest.mark.parametrize("function", ["deit_attention", "deit_status"])
def test_the_jobs_watch_every_place_the_loader_looks(function, monkeypatch, tmp_path, weights_file):
    """Each place find_deit_tiny_weights can find weights is matched by one of the job's ``external`` patterns,
    so the job re-runs when weights appear there."""
    patterns = external_patterns(function)
    assert patterns == external_patterns("deit_attention")  # the two jobs watch the same places
    path, _ = weights_file
    monkeypatch.setenv(attention_maps.WEIGHTS_ENV, str(path))
    assert any(glob.glob(os.path.expandvars(p)) == [str(path)] for p in patterns)

    # a Hugging Face cache under each of the usual roots
    monkeypatch.delenv(attention_maps.WEIGHTS_ENV)
    repo = "models--" + attention_maps.HF_REPO.replace("/", "--")
    for variable, hub in (("HF_HUB_CACHE", tmp_path / "a"), ("HF_HOME", tmp_path / "b"),
                          ("XDG_CACHE_HOME", tmp_path / "c"), ("HUGGINGFACE_HUB_CACHE", tmp_path / "d")):
        hub_dir = {"HF_HUB_CACHE": hub, "HUGGINGFACE_HUB_CACHE": hub, "HF_HOME": hub / "hub",
                   "XDG_CACHE_HOME": hub / "huggingface" / "hub"}[variable]
        snapshot = hub_dir / repo / "snapshots" / "abc123"
        snapshot.mkdir(parents=True)
        (hub_dir / repo / "refs").mkdir()
        (hub_dir / repo / "refs" / "main").write_text("abc123")
        (snapshot / attention_maps.HF_FILENAME).write_bytes(path.read_bytes())
        monkeypatch.setenv(variable, str(hub))
        assert attention_maps.find_deit_tiny_weights(hf_cache_dir=hub_dir) == snapshot / attention_maps.HF_FILENAME
        matched = [m for p in patterns for m in glob.glob(os.path.expanduser(os.path.expandvars(p)))]
        assert str(snapshot / attention_maps.HF_FILENAME) in matched, variable
        monkeypatch.delenv(variable)
    assert any(p.startswith("~/.cache/huggingface/hub/" + repo) for p in patterns)


def test_vit_attention_map_claims_hold(built_site):
    """What /vit/attention-map/ says about the digits model's maps, and the offline fallback."""
    maps = job_values(built_site, "vit-attn-digits")
    ink = maps["ink"]
    assert ink["cls"]["d1"] < ink["patches"]  # the first block's class token looks mostly at the background
    assert ink["cls"]["d4"] > ink["patches"] > ink["cls"]["d1"]  # "rises ... somewhat more than their share"
    assert ink["rollout"]["d4"] > ink["rollout"]["d1"]
    # "at depth 1 ... the same as the class token's own attention in the first block, by construction"
    assert abs(ink["rollout"]["d1"] - ink["cls"]["d1"]) < 1e-6
    assert abs(ink["rollout"]["d4"] - ink["patches"]) < 0.05  # "about the share of such patches"
    evenness = maps["evenness"]["rollout"]
    assert evenness["d4"] > 0.95 and evenness["d4"] > evenness["d1"]  # "spread fairly evenly"
    # "the largest cell of a depth-4 map holds {peak} times the mean cell's weight"; "a few times"
    assert 1 < maps["peak_to_mean"]["rollout"]["d4"] < 5
    # "a head that always looks at one fixed patch scores anywhere from {min} (a central patch) to {max}
    # (a corner), and for {in_range} of the {patches} patches it lands in the range of our heads"
    from snippets.vit.attention_maps import patch_distances

    one, grid = maps["one_patch"], maps["grid"]
    fixed = patch_distances(grid, maps["patch"]).mean(dim=0).reshape(grid, grid)  # (g, g)
    assert abs(fixed[grid // 2, grid // 2].item() - one["min"]) < 1e-5 and abs(fixed[0, 0].item() - one["max"]) < 1e-5
    low, high = maps["distance_range"]["min"], maps["distance_range"]["max"]
    assert one["in_range"] == int(((fixed >= low) & (fixed <= high)).sum()) > 0 and one["patches"] == grid * grid
    uniform = maps["uniform_distance"]
    # "every head in every block ... close to looking at all patches equally; no local head"
    assert 0.9 * uniform < maps["distance_range"]["min"] and maps["distance_range"]["max"] < 1.15 * uniform
    deit = job_values(built_site, "vit-deit-attention")
    if not deit["available"]:  # the default, offline build: the page says so and shows no DeiT maps
        from snippets.vit.attention_maps import NO_WEIGHTS_MESSAGE

        for lang, title in (("ko", "사전 학습"), ("en", "No pretrained weights")):
            page = page_body(page_html(built_site.dir, "vit/attention-map", lang))
            notes = [n for n in page.select(".admonition.note") if title in n.get_text()]
            assert len(notes) == 1, lang
            assert NO_WEIGHTS_MESSAGE in page.get_text()
            assert not page.select('img[src*="vit-deit-maps"]') and not page.select('img[src*="vit-deit-distance"]')


@pytest.fixture(scope="module")
def released_layout(tmp_path_factory, weights_file) -> Path:
    """The same weights as a torch checkpoint laid out like DeiT's release (the state dict under
    "model"), named like the file the Pages workflow fetches."""
    _, state = weights_file
    path = tmp_path_factory.mktemp("released") / "deit_tiny_patch16_224-a1311bcf.pth"
    torch.save({"model": state}, path)
    return path


def test_the_released_checkpoint_layout_loads(no_weights, monkeypatch, released_layout, weights_file):
    monkeypatch.setenv(attention_maps.WEIGHTS_ENV, str(released_layout))
    model, message = attention_maps.load_deit_tiny()
    assert str(released_layout) in message
    assert all(torch.equal(model.state_dict()[k], v) for k, v in weights_file[1].items())


@pytest.mark.slow
def test_a_build_with_weights_shows_deit_s_maps_and_distances(built_site, released_layout, monkeypatch, tmp_path):
    """End to end, as the Pages workflow builds: the variable names a weights file (written here,
    random weights), the DeiT jobs re-run, and the page shows both figures and the numbers in
    place of the fallback note."""
    from tests.conftest import REPO, mkdocs_build, private_cache

    cache = private_cache(built_site, tmp_path / "cache")
    monkeypatch.setenv(attention_maps.WEIGHTS_ENV, str(released_layout))
    build = mkdocs_build(REPO, tmp_path / "site", cache)
    assert build.returncode == 0, build.stdout + build.stderr
    # the entry this build made: the newest (the copied cache holds the offline one too)
    entry = max(cache.glob("jobs/vit-deit-attention/*/values.json"), key=lambda p: p.stat().st_mtime)
    deit = json.loads(entry.read_text())
    assert deit["available"] is True and str(released_layout) in deit["message"]
    for lang, note in (("ko", "사전 학습 가중치가 없어"), ("en", "No pretrained weights")):
        page = page_body(page_html(tmp_path / "site", "vit/attention-map", lang))
        text = page.get_text()
        assert page.select('img[src*="vit-deit-maps"]') and page.select('img[src*="vit-deit-distance"]'), lang
        assert note not in text and deit["top"]["name"] in text
        assert f"{deit['uniform_distance']:.0f}" in text
        assert f"{deit['distance_first']['min']:.0f}–{deit['distance_first']['max']:.0f}" in text
    # and /vit/architecture/ measures and draws DeiT-Tiny's position embeddings in place of its note
    entry = max(cache.glob("jobs/vit-deit-pos-structure/*/values.json"), key=lambda p: p.stat().st_mtime)
    pos = json.loads(entry.read_text())
    assert pos["available"] is True and pos["grid"] == 14
    for lang, note in (("ko", "DeiT-Tiny의 위치 임베딩"), ("en", "DeiT-Tiny's position embeddings")):
        page = page_body(page_html(tmp_path / "site", "vit/architecture", lang))
        assert page.select('img[src*="vit-deit-pos-similarity"]'), lang
        assert not [n for n in page.select(".admonition.note") if note in n.get_text()], lang
        assert f"{pos['by_distance']['d1']:.3f}" in page.get_text()
