"""The DeiT-Tiny jobs of /vit/attention-map/: the offline fallback, the path with weights, and the
weights locations their cache keys watch."""

import ast
import glob
import os
from pathlib import Path

import huggingface_hub.constants
import pytest
import timm
import torch
from matplotlib.figure import Figure
from safetensors.torch import save_file

from snippets.build.theme import THEMES
from snippets.vit import attention_map_tour as tour
from snippets.vit import attention_maps

SOURCE = Path(tour.__file__)


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


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
    """The ``external=`` literal of one job decorator, as the build reads it."""
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    keywords = {k.arg: k.value for d in node.decorator_list if isinstance(d, ast.Call) for k in d.keywords}
    return ast.literal_eval(keywords["external"])


def test_without_weights_the_job_reports_the_documented_fallback(no_weights, capsys):
    result = tour.deit_attention()
    assert result == {"available": False, "message": attention_maps.NO_WEIGHTS_MESSAGE}
    tour.deit_status()
    assert capsys.readouterr().out.strip() == attention_maps.NO_WEIGHTS_MESSAGE
    assert "MODEL_NOTES_DEIT_TINY_WEIGHTS" in attention_maps.NO_WEIGHTS_MESSAGE
    # the figure says in words that there is nothing to show, and draws no axes (no random maps)
    with THEMES[0].context():
        fig = tour.deit_maps(THEMES[0], result)
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
    assert lines[0] == message and len(lines) == 4  # the source, then the top 3 classes
    with THEMES[0].context():
        fig = tour.deit_maps(THEMES[0], result)
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
