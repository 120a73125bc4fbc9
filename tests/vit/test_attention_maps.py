"""Attention maps: rollout, class-token maps, mean attention distance, timm extraction, offline DeiT-Tiny weights."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import safetensors.torch as safetensors_torch
import timm
import torch
import torch.nn.functional as F

from snippets.vit.attention_maps import (
    DEIT_TINY,
    HF_FILENAME,
    HF_REPO,
    NO_WEIGHTS_MESSAGE,
    WEIGHTS_ENV,
    attention_rollout,
    attention_weights,
    check_attentions,
    cls_attention,
    find_deit_tiny_weights,
    load_deit_tiny,
    load_photo,
    mean_attention_distance,
    patch_distances,
    rollout_cls_map,
    timm_attention,
    top_classes,
)
from snippets.vit.model import VisionTransformer, ViTConfig, load_timm_state_dict, set_fused_attention

REPO_ROOT = Path(__file__).resolve().parents[2]
SMALL = ViTConfig(img_size=16, patch_size=4, in_chans=1, num_classes=10, embed_dim=32, depth=3, num_heads=4)


def random_attention(L=4, B=2, h=3, T=17, seed=0) -> list[torch.Tensor]:
    """L softmax attention tensors (B, h, T, T) with random scores."""
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(B, h, T, T, generator=generator).mul(3).softmax(-1) for _ in range(L)]


# ---------------------------------------------------------------- rollout


@pytest.mark.parametrize("add_residual", [True, False])
def test_rollout_of_identity_attention_is_identity_at_every_depth(add_residual):
    T = 10
    attentions = [torch.eye(T).expand(2, 3, T, T) for _ in range(4)]
    rollout = attention_rollout(attentions, add_residual=add_residual)
    assert rollout.shape == (2, 4, T, T)
    torch.testing.assert_close(rollout, torch.eye(T).expand(2, 4, T, T))


def test_rollout_of_uniform_attention_has_closed_form():
    # Â = ½U + ½I with U = 11ᵀ/T. U² = U, so (aU + bI)(cU + dI) = (ac + ad + bc)U + bd·I and
    # Â^l = 2^-l·I + (1 - 2^-l)·U: the identity's share halves with every block.
    T, L = 17, 5
    uniform = torch.full((T, T), 1 / T, dtype=torch.float64)
    attentions = [uniform.expand(2, 3, T, T) for _ in range(L)]
    rollout = attention_rollout(attentions)
    identity = torch.eye(T, dtype=torch.float64)
    for depth in range(1, L + 1):
        expected = 2.0**-depth * identity + (1 - 2.0**-depth) * uniform
        torch.testing.assert_close(rollout[:, depth - 1], expected.expand(2, T, T))
    # without the residual, uniform attention stays uniform at every depth
    torch.testing.assert_close(attention_rollout(attentions, add_residual=False), uniform.expand(2, L, T, T))


def test_rollout_rows_stay_stochastic_and_multiply_in_order():
    attentions = random_attention()
    for add_residual in (True, False):
        rollout = attention_rollout(attentions, add_residual=add_residual)
        assert rollout.shape == (2, 4, 17, 17)
        assert (rollout >= 0).all()
        torch.testing.assert_close(rollout.sum(-1), torch.ones(2, 4, 17))
    # R_1 = Â_1, R_l = Â_l · R_(l-1): the later block's matrix on the left
    rollout = attention_rollout(attentions)
    mixed = [0.5 * a.mean(1) + 0.5 * torch.eye(17) for a in attentions]  # (B, T, T) each
    torch.testing.assert_close(rollout[:, 0], mixed[0])
    torch.testing.assert_close(rollout[:, 1], mixed[1] @ mixed[0])
    torch.testing.assert_close(rollout[:, 3], mixed[3] @ mixed[2] @ mixed[1] @ mixed[0])
    assert not torch.allclose(rollout[:, 1], mixed[0] @ mixed[1])  # the order matters


def test_rollout_cls_map_is_the_class_row_on_the_grid():
    rollout = attention_rollout(random_attention())
    maps = rollout_cls_map(rollout, 4)
    assert maps.shape == (2, 4, 4, 4)  # (B, L, g, g)
    assert maps[1, 2, 1, 3] == rollout[1, 2, 0, 1 + 1 * 4 + 3]  # row 1, column 3 of the grid is patch 7


# ---------------------------------------------------------------- class-token maps and distances


def test_cls_attention_shape_and_layout():
    attentions = random_attention(L=3, B=2, h=4, T=10)
    maps = cls_attention(attentions, 3)
    assert maps.shape == (2, 3, 4, 3, 3)  # (B, L, h, g, g)
    assert maps[1, 2, 3, 2, 0] == attentions[2][1, 3, 0, 1 + 2 * 3 + 0]
    # each map holds what the class token does not give itself
    torch.testing.assert_close(maps.sum((-2, -1)), 1 - torch.stack([a[:, :, 0, 0] for a in attentions], dim=1))


def test_patch_distances():
    distances = patch_distances(3, 16)
    assert distances.shape == (9, 9)
    assert distances[0, 1] == 16 and distances[0, 3] == 16  # right and below
    torch.testing.assert_close(distances[0, 4], torch.tensor(16 * 2**0.5))
    torch.testing.assert_close(distances[0, 8], torch.tensor(32 * 2**0.5))
    torch.testing.assert_close(distances[2, 6], torch.tensor(32 * 2**0.5))  # top-right to bottom-left
    assert torch.equal(distances, distances.T) and torch.equal(distances.diag(), torch.zeros(9))


def test_mean_attention_distance_known_answers():
    grid, patch, T = 4, 8, 17
    distances = patch_distances(grid, patch)
    to_self = torch.eye(T)  # every patch attends to itself only
    to_self[0] = 1 / T  # the class token's row does not count
    uniform = torch.full((T, T), 1 / T)  # every token spreads its attention evenly, the class token included
    heads = torch.stack([to_self, uniform])  # (h=2, T, T)
    attentions = [heads.expand(3, 2, T, T) for _ in range(2)]  # L=2, B=3
    result = mean_attention_distance(attentions, grid, patch)
    assert result.shape == (2, 2)  # (L, h)
    expected = torch.tensor([0.0, distances.mean().item()])  # uniform over the patches: the mean pairwise distance
    torch.testing.assert_close(result, expected.expand(2, 2))
    # without renormalising, the 1/T on the class token counts as distance 0
    raw = mean_attention_distance(attentions, grid, patch, renormalize=False)
    torch.testing.assert_close(raw, (expected * (T - 1) / T).expand(2, 2))


def test_mean_attention_distance_of_random_attention_is_within_the_grid():
    result = mean_attention_distance(random_attention(), 4, 16)
    assert result.shape == (4, 3)
    assert (result > 0).all() and (result < patch_distances(4, 16).max()).all()


# ---------------------------------------------------------------- extraction from our model and timm


def test_our_attention_equals_manual_softmax_from_qkv_weights():
    torch.manual_seed(0)
    model = VisionTransformer(SMALL).eval()
    images = torch.randn(2, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    block_inputs = []
    hooks = [block.register_forward_pre_hook(lambda _, args: block_inputs.append(args[0])) for block in model.blocks]
    try:
        with torch.no_grad():
            _, attentions = model(images, return_attention=True)
    finally:
        for hook in hooks:
            hook.remove()
    D, h = SMALL.embed_dim, SMALL.num_heads
    d, T = D // h, 1 + SMALL.num_patches
    for block, tokens, attn in zip(model.blocks, block_inputs, attentions, strict=True):
        x = block.norm1(tokens)  # (B, T, D): the block's normalised input
        weight, bias = block.attn.qkv.weight, block.attn.qkv.bias  # (3D, D), (3D,): rows for q, then k, then v
        q = F.linear(x, weight[:D], bias[:D]).reshape(2, T, h, d).transpose(1, 2)  # (B, T, D) -> (B, h, T, d)
        k = F.linear(x, weight[D:2 * D], bias[D:2 * D]).reshape(2, T, h, d).transpose(1, 2)
        manual = torch.softmax(q @ k.transpose(-2, -1) / d**0.5, dim=-1)  # (B, h, T, T)
        torch.testing.assert_close(attn, manual, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(attention_weights(block.attn, x), manual, atol=1e-6, rtol=1e-5)
    # the hooks work on our model too
    _, hooked = timm_attention(model, images)
    for mine, theirs in zip(attentions, hooked, strict=True):
        torch.testing.assert_close(theirs, mine)


@pytest.fixture(scope="module")
def deit_pair():
    """timm's DeiT-Tiny (random init, eval mode) and ours with the same weights."""
    torch.manual_seed(0)
    reference = timm.create_model(DEIT_TINY, pretrained=False).eval()
    ours = VisionTransformer(ViTConfig.deit_tiny()).eval()
    load_timm_state_dict(ours, reference.state_dict())
    yield reference, ours
    set_fused_attention(reference, True)


def test_timm_attention_is_independent_of_fused_attention_and_equals_ours(deit_pair):
    reference, ours = deit_pair
    images = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    results = {}
    for fused in (True, False):
        assert set_fused_attention(reference, fused) == 12
        with torch.no_grad():
            plain_logits = reference(images)
        logits, attentions = timm_attention(reference, images)
        assert torch.equal(logits, plain_logits)  # the hooks only read
        assert all(not block.attn._forward_hooks for block in reference.blocks)  # and are gone
        assert len(attentions) == 12 and all(a.shape == (2, 3, 197, 197) for a in attentions)
        results[fused] = attentions
    with torch.no_grad():
        _, mine = ours(images, return_attention=True)
    for with_fused, without, ours_attn in zip(results[True], results[False], mine, strict=True):
        torch.testing.assert_close(with_fused, without, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(with_fused, ours_attn, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(with_fused.sum(-1), torch.ones(2, 3, 197))


def test_timm_attention_equals_the_softmax_timm_computes_with_fused_attention_off(deit_pair):
    """With fused attention off, timm materialises softmax(q·kᵀ·scale) and passes it through attn_drop;
    what the hooks recompute must be exactly that matrix, block by block."""
    reference, _ = deit_pair
    set_fused_attention(reference, False)
    captured = []
    handles = [block.attn.attn_drop.register_forward_hook(lambda m, args, out: captured.append(out.detach()))
               for block in reference.blocks]
    try:
        images = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(5))
        _, attentions = timm_attention(reference, images)
    finally:
        for handle in handles:
            handle.remove()
        set_fused_attention(reference, True)
    assert len(captured) == len(attentions) == 12
    for timm_softmax, ours in zip(captured, attentions, strict=True):
        torch.testing.assert_close(ours, timm_softmax, atol=1e-6, rtol=1e-5)


def test_default_hugging_face_cache_follows_hf_home(weight_files, tmp_path):
    """Without hf_cache_dir, the loader looks where huggingface_hub does by default: here $HF_HOME/hub.
    huggingface_hub reads the variable when it is imported, so this runs in a fresh interpreter."""
    path = weight_files[0] / "deit_tiny.safetensors"
    repo = tmp_path / "home" / "hub" / ("models--" + HF_REPO.replace("/", "--"))
    (repo / "snapshots" / "abc123").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    (repo / "snapshots" / "abc123" / HF_FILENAME).write_bytes(Path(path).read_bytes())
    env = {k: v for k, v in os.environ.items()
           if k not in (WEIGHTS_ENV, "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME")}
    env["HF_HOME"] = str(tmp_path / "home")
    code = "from snippets.vit.attention_maps import find_deit_tiny_weights; print(find_deit_tiny_weights())"
    found = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                           check=True).stdout.strip()
    assert found == str(repo / "snapshots" / "abc123" / HF_FILENAME)


def test_timm_hooks_are_removed_when_the_forward_pass_fails(deit_pair):
    reference, _ = deit_pair
    with pytest.raises(Exception, match="224"):
        timm_attention(reference, torch.zeros(1, 3, 64, 64))
    assert all(not block.attn._forward_hooks for block in reference.blocks)


# ---------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(("call", "message"), [
    (lambda: attention_rollout([]), "expected a non-empty list .* got an empty list"),
    (lambda: attention_rollout(torch.zeros(2, 1, 3, 5, 5)),
     r"expected a list of per-block attention tensors \(B, h, T, T\), got Tensor of shape \(2, 1, 3, 5, 5\)"),
    (lambda: attention_rollout([torch.zeros(3, 5, 5)]),
     r"expected attention tensors of shape \(B, h, T, T\), got shape \(3, 5, 5\)"),
    (lambda: attention_rollout([torch.zeros(1, 3, 5, 4)]), r"got shape \(1, 3, 5, 4\)"),
    (lambda: attention_rollout([torch.zeros(1, 3, 5, 5), torch.zeros(1, 2, 5, 5)]),
     r"shape of block 0, \(1, 3, 5, 5\); got \(1, 2, 5, 5\) for block 1"),
    (lambda: attention_rollout([torch.zeros(1, 3, 11, 11)]), r"expected T = 1 \+ g² tokens .* got T = 11"),
    (lambda: cls_attention([torch.zeros(1, 3, 10, 10)], 4),
     r"expected T = 1 \+ 4² = 17 tokens for grid=4, got T = 10 \(a 3×3 grid\)"),
    (lambda: mean_attention_distance([torch.zeros(1, 3, 10, 10)], 2, 16), r"for grid=2, got T = 10"),
    (lambda: rollout_cls_map(torch.zeros(1, 2, 10, 10), 4),
     r"expected a rollout of shape \(B, L, T, T\) with T = 1 \+ 4² = 17, got shape \(1, 2, 10, 10\)"),
    (lambda: rollout_cls_map(torch.zeros(2, 10, 10), 3), r"got shape \(2, 10, 10\)"),
    (lambda: attention_weights(torch.nn.Linear(3, 3), torch.zeros(1, 5, 3)),
     "expected an attention module with one fused qkv Linear .* got Linear"),
    (lambda: top_classes(torch.zeros(2, 1000)), r"shape \(1000,\) or \(1, 1000\), got shape \(2, 1000\)"),
    (lambda: top_classes(torch.zeros(10)), r"got shape \(10,\)"),
])
def test_bad_inputs_are_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_check_attentions_returns_the_grid():
    assert check_attentions(random_attention(L=1, T=50)) == 7
    assert check_attentions(tuple(random_attention(L=2, T=5)), grid=2) == 2


# ---------------------------------------------------------------- photo and class names


def test_load_photo():
    normalised, image = load_photo()
    assert normalised.shape == (1, 3, 224, 224) and image.shape == (224, 224, 3)
    assert image.min() >= 0 and image.max() <= 1
    mean = torch.tensor(timm.data.IMAGENET_DEFAULT_MEAN)
    std = torch.tensor(timm.data.IMAGENET_DEFAULT_STD)
    torch.testing.assert_close(normalised[0].permute(1, 2, 0) * std + mean, image)
    small, small_image = load_photo(64)
    assert small.shape == (1, 3, 64, 64) and small_image.shape == (64, 64, 3)


def test_top_classes():
    logits = torch.zeros(1, 1000)
    logits[0, 281], logits[0, 285] = 5.0, 3.0  # tabby cat, Egyptian cat
    top = top_classes(logits, k=3)
    assert [name for name, _ in top][:2] == ["tabby, tabby cat", "Egyptian cat"]
    probabilities = [p for _, p in top]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) < 1
    assert top_classes(logits[0], k=1) == top[:1]


# ---------------------------------------------------------------- pretrained weights, offline


@pytest.fixture(scope="module")
def weight_files(tmp_path_factory):
    """A randomly initialised timm DeiT-Tiny saved as .safetensors and as a torch .pth, and its state dict."""
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(3)
    state_dict = timm.create_model(DEIT_TINY, pretrained=False).state_dict()
    safetensors_torch.save_file(state_dict, folder / "deit_tiny.safetensors")
    torch.save(state_dict, folder / "deit_tiny.pth")
    return folder, state_dict


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)


def assert_same_weights(model, state_dict):
    loaded = model.state_dict()
    assert loaded.keys() == state_dict.keys()
    assert all(torch.equal(loaded[key], value) for key, value in state_dict.items())


def test_explicit_missing_path_is_named(tmp_path, no_env):
    missing = tmp_path / "nowhere.safetensors"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        find_deit_tiny_weights(missing, hf_cache_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load_deit_tiny(missing, hf_cache_dir=tmp_path)


def test_env_var_naming_a_missing_file_is_named(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere.pth"
    monkeypatch.setenv(WEIGHTS_ENV, str(missing))
    with pytest.raises(FileNotFoundError, match=f"{WEIGHTS_ENV} is set to {re.escape(str(missing))}"):
        find_deit_tiny_weights(hf_cache_dir=tmp_path)


def test_nothing_found_gives_none_and_the_message(tmp_path, monkeypatch, no_env):
    empty = tmp_path / "hf-cache"
    empty.mkdir()
    assert find_deit_tiny_weights(hf_cache_dir=empty) is None
    assert load_deit_tiny(hf_cache_dir=empty) == (None, NO_WEIGHTS_MESSAGE)
    monkeypatch.setenv(WEIGHTS_ENV, "")  # set but empty: as if unset
    assert find_deit_tiny_weights(hf_cache_dir=empty) is None
    assert WEIGHTS_ENV in NO_WEIGHTS_MESSAGE and HF_REPO in NO_WEIGHTS_MESSAGE
    assert NO_WEIGHTS_MESSAGE.startswith("No pretrained DeiT-Tiny weights were found")


@pytest.mark.parametrize("name", ["deit_tiny.safetensors", "deit_tiny.pth"])
def test_load_by_path(weight_files, name, tmp_path, no_env):
    folder, state_dict = weight_files
    model, message = load_deit_tiny(folder / name, hf_cache_dir=tmp_path)
    assert not model.training
    assert_same_weights(model, state_dict)
    assert str(folder / name) in message and "given path" in message


def test_load_by_env_var(weight_files, tmp_path, monkeypatch):
    folder, state_dict = weight_files
    monkeypatch.setenv(WEIGHTS_ENV, str(folder / "deit_tiny.pth"))
    assert find_deit_tiny_weights(hf_cache_dir=tmp_path) == folder / "deit_tiny.pth"
    model, message = load_deit_tiny(hf_cache_dir=tmp_path)
    assert_same_weights(model, state_dict)
    assert WEIGHTS_ENV in message
    # an explicit path comes first, even when the variable names a missing file
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path / "nowhere.pth"))
    assert find_deit_tiny_weights(folder / "deit_tiny.safetensors") == folder / "deit_tiny.safetensors"


def test_found_in_a_hugging_face_cache_layout(weight_files, tmp_path, no_env):
    folder, state_dict = weight_files
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--timm--deit_tiny_patch16_224.fb_in1k"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / HF_FILENAME).write_bytes((folder / "deit_tiny.safetensors").read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)  # the commit hash, no newline (read as is, not stripped)
    assert find_deit_tiny_weights(hf_cache_dir=tmp_path) == snapshot / HF_FILENAME
    model, message = load_deit_tiny(hf_cache_dir=tmp_path)
    assert_same_weights(model, state_dict)
    assert "Hugging Face cache" in message and str(snapshot / HF_FILENAME) in message


@pytest.mark.parametrize("name", ["broken.safetensors", "broken.pth"])
def test_corrupted_file_is_named(tmp_path, name, no_env):
    path = tmp_path / name
    path.write_bytes(b"not a weights file " * 20)
    with pytest.raises(ValueError, match=f"could not load DeiT-Tiny weights from {re.escape(str(path))}"):
        load_deit_tiny(path, hf_cache_dir=tmp_path)


def test_mismatched_file_is_named(weight_files, tmp_path, no_env):
    _, state_dict = weight_files
    partial = {key: value for key, value in state_dict.items() if key != "head.weight"}
    path = tmp_path / "partial.safetensors"
    safetensors_torch.save_file(partial, path)
    with pytest.raises(ValueError, match=f"(?s)from {re.escape(str(path))}: .*head.weight"):
        load_deit_tiny(path, hf_cache_dir=tmp_path)


def test_timm_attention_applies_q_and_k_norm():
    torch.manual_seed(4)
    model = timm.models.VisionTransformer(img_size=32, patch_size=8, num_classes=5, embed_dim=32, depth=2,
                                          num_heads=4, qk_norm=True).eval()
    for block in model.blocks:  # LayerNorms start as weight 1, bias 0: make them do something visible
        for norm in (block.attn.q_norm, block.attn.k_norm):
            torch.nn.init.normal_(norm.weight, 1.0, 0.5)
            torch.nn.init.normal_(norm.bias, 0.0, 0.5)
    images = torch.randn(2, 3, 32, 32)
    _, hooked = timm_attention(model, images)  # fused attention
    set_fused_attention(model, False)
    captured = []
    hooks = [block.attn.attn_drop.register_forward_hook(lambda _, args, out: captured.append(out))
             for block in model.blocks]
    try:
        with torch.no_grad():
            model(images)
    finally:
        for hook in hooks:
            hook.remove()
    assert len(captured) == len(hooked) == 2
    for theirs, ours in zip(captured, hooked, strict=True):
        torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=1e-5)
