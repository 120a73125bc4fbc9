"""The from-scratch ViT: patch embedding, equality with timm, attention weights, errors, pos-embedding resampling."""

import re

import pytest
import torch
import torch.nn.functional as F

from snippets.vit.model import (
    PRESETS,
    PatchEmbed,
    StateDictMismatchError,
    VisionTransformer,
    ViTConfig,
    count_parameters,
    load_timm_state_dict,
    patch_embed_as_linear,
    patchify,
    resample_pos_embed,
    set_fused_attention,
)

timm = pytest.importorskip("timm")

SMALL = ViTConfig(img_size=32, patch_size=8, in_chans=3, num_classes=5, embed_dim=24, depth=2, num_heads=3)


@pytest.fixture(scope="module")
def deit_pair():
    """timm's DeiT-Tiny (random init) and ours with its weights, both in eval mode."""
    torch.manual_seed(0)
    reference = timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()
    ours = VisionTransformer(ViTConfig.deit_tiny()).eval()
    load_timm_state_dict(ours, reference.state_dict())
    yield reference, ours
    set_fused_attention(reference, True)


@pytest.fixture(scope="module")
def images():
    return torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def our_outputs(deit_pair, images):
    """Our DeiT-Tiny's logits (fused attention), and its logits and attention weights (explicit attention)."""
    _, ours = deit_pair
    with torch.no_grad():
        logits = ours(images)
        logits_explicit, attentions = ours(images, return_attention=True)
    return logits, logits_explicit, attentions


@pytest.fixture
def small_model():
    torch.manual_seed(0)
    return VisionTransformer(SMALL).eval()


def test_patch_embedding_conv_equals_patchify_plus_linear():
    torch.manual_seed(0)
    embed = PatchEmbed(img_size=32, patch_size=8, in_chans=3, embed_dim=16)
    x = torch.randn(2, 3, 32, 32)
    conv = embed(x)
    assert conv.shape == (2, 16, 16)  # (B, N, D): 4x4 patches
    torch.testing.assert_close(patch_embed_as_linear(embed, x), conv, atol=1e-5, rtol=1e-5)
    patches = patchify(x, 8)  # (B, N, C*p*p), row-major patch order
    assert patches.shape == (2, 16, 3 * 8 * 8)
    assert torch.equal(patches[:, 0], x[:, :, :8, :8].flatten(1))
    assert torch.equal(patches[:, 1], x[:, :, :8, 8:16].flatten(1))  # next patch is to the right
    assert torch.equal(patches[:, 4], x[:, :, 8:16, :8].flatten(1))  # then the next row of patches


def test_state_dict_names_and_shapes_equal_timms(deit_pair):
    reference, ours = deit_pair
    theirs = {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == theirs


@pytest.mark.parametrize("fused", [True, False], ids=["timm-fused", "timm-explicit"])
def test_output_equals_timm_deit_tiny(deit_pair, images, our_outputs, fused):
    reference, _ = deit_pair
    logits, logits_explicit, _ = our_outputs
    assert set_fused_attention(reference, fused) == 12
    with torch.no_grad():
        expected = reference(images)
    assert logits.shape == (2, 1000)
    assert (logits - expected).abs().max().item() < 1e-5
    assert (logits_explicit - expected).abs().max().item() < 1e-5


def test_parameter_count_equals_timm_and_deit_tiny(deit_pair):
    reference, ours = deit_pair
    assert count_parameters(ours) == count_parameters(reference) == 5_717_416
    assert ViTConfig.deit_tiny().num_parameters() == 5_717_416


def test_preset_parameter_counts():
    counts = {}
    for name, (_, config) in PRESETS.items():
        with torch.device("meta"):  # shapes only, no memory for ViT-H's 632 M parameters
            model = VisionTransformer(config)
        counts[name] = count_parameters(model)
        assert counts[name] == config.num_parameters(), name
    assert counts == {
        "DeiT-Ti": 5_717_416, "DeiT-S": 22_050_664, "DeiT-B": 86_567_656,
        "ViT-B/16": 86_567_656, "ViT-L/16": 304_326_632, "ViT-H/14": 632_045_800,
    }


def test_attention_weights_shape_and_rows_sum_to_one(our_outputs):
    _, _, attentions = our_outputs
    assert len(attentions) == 12
    for attn in attentions:
        assert attn.shape == (2, 3, 197, 197)  # (B, heads, 1 + N, 1 + N)
        torch.testing.assert_close(attn.sum(-1), torch.ones(2, 3, 197))
        assert (attn >= 0).all()


def test_attention_equals_manual_softmax_from_qkv_weights(small_model):
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    block_inputs = []
    hooks = [block.register_forward_pre_hook(lambda _, args: block_inputs.append(args[0]))
             for block in small_model.blocks]
    with torch.no_grad():
        _, attentions = small_model(x, return_attention=True)
    for hook in hooks:
        hook.remove()
    D, h = SMALL.embed_dim, SMALL.num_heads
    d = D // h
    for block, tokens, attn in zip(small_model.blocks, block_inputs, attentions, strict=True):
        qkv = F.linear(block.norm1(tokens), block.attn.qkv.weight, block.attn.qkv.bias)  # (B, T, 3D)
        q, k = qkv[..., :D], qkv[..., D:2 * D]  # (B, T, D) each
        q = q.reshape(2, 17, h, d).transpose(1, 2)  # (B, T, D) -> (B, h, T, d)
        k = k.reshape(2, 17, h, d).transpose(1, 2)  # (B, T, D) -> (B, h, T, d)
        manual = torch.softmax(q @ k.transpose(-2, -1) / d**0.5, dim=-1)  # (B, h, T, T)
        torch.testing.assert_close(attn, manual, atol=1e-6, rtol=1e-5)


def test_attention_equals_timms_explicit_softmax(deit_pair, images, our_outputs):
    reference, _ = deit_pair
    _, _, attentions = our_outputs
    set_fused_attention(reference, False)
    captured = []
    hooks = [block.attn.attn_drop.register_forward_hook(lambda _, args, out: captured.append(out))
             for block in reference.blocks]
    with torch.no_grad():
        reference(images)
    for hook in hooks:
        hook.remove()
    assert len(captured) == 12
    for theirs, mine in zip(captured, attentions, strict=True):
        assert (theirs - mine).abs().max().item() < 1e-5


def test_fused_and_explicit_paths_agree(small_model):
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        fused = small_model(x)
        set_fused_attention(small_model, False)
        explicit = small_model(x)
    torch.testing.assert_close(fused, explicit, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("shape", "message"), [
    ((1, 32, 32), r"expected a 4-D batch of images \(B, C, H, W\), got a 3-D tensor of shape \(1, 32, 32\) "
                  r"\(one image\? add the batch dimension"),
    ((1, 1, 3, 32, 32), r"expected a 4-D batch .* got a 5-D tensor"),
    ((2, 1, 32, 32), r"expected 3 input channel\(s\), got 1"),
    ((2, 3, 30, 32), r"image size 30x32 is not divisible by the patch size 8"),
    ((2, 3, 64, 64), r"expected 32x32 images \(4x4 patches of 8x8\), got 64x64 \(8x8 patches\); "
                     r"the position embeddings .* would need resampling"),
])
def test_bad_input_is_a_clear_error(small_model, shape, message):
    with pytest.raises(ValueError, match=message):
        small_model(torch.zeros(shape))


def test_bad_config_is_a_clear_error():
    with pytest.raises(ValueError, match="img_size 30 is not divisible by patch_size 8"):
        ViTConfig(img_size=30, patch_size=8)
    with pytest.raises(ValueError, match="embed_dim 100 is not divisible by num_heads 3"):
        ViTConfig(embed_dim=100, num_heads=3)
    with pytest.raises(ValueError, match="unknown ViTConfig field"):
        ViTConfig.from_dict({"img_size": 32, "hidden": 4})
    assert ViTConfig.from_dict(SMALL.to_dict()) == SMALL


def test_bad_state_dict_lists_missing_unexpected_and_mismatched_keys(small_model):
    state = small_model.state_dict()
    del state["head.bias"]
    state["extra.weight"] = torch.zeros(3)
    state["head.weight"] = torch.zeros(7, 24)
    with pytest.raises(StateDictMismatchError) as info:
        load_timm_state_dict(small_model, state)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "missing keys (1):\n    head.bias" in message
    assert "unexpected keys (1):\n    extra.weight" in message
    assert "shape mismatches (1):\n    head.weight: expected (5, 24), given (7, 24)" in message
    assert info.value.missing == ["head.bias"]
    assert info.value.unexpected == ["extra.weight"]
    assert info.value.mismatched == [("head.weight", (5, 24), (7, 24))]


def test_state_dict_from_another_image_size(small_model):
    """A checkpoint for 32x32 input does not load into a 64x64 model, unless pos_embed is resampled."""
    state = small_model.state_dict()
    big = VisionTransformer(ViTConfig(**{**SMALL.to_dict(), "img_size": 64}))
    with pytest.raises(StateDictMismatchError, match=re.escape(
            "pos_embed: expected (1, 65, 24), given (1, 17, 24)") + r"[\s\S]*interpolate_pos_embed=True"):
        load_timm_state_dict(big, state)
    load_timm_state_dict(big, {"model": state}, interpolate_pos_embed=True)  # DeiT-style {"model": ...} wrapper
    assert torch.equal(big.pos_embed, resample_pos_embed(state["pos_embed"], 8))
    assert torch.equal(big.blocks[1].mlp.fc2.weight, state["blocks.1.mlp.fc2.weight"])
    assert big(torch.zeros(1, 3, 64, 64)).shape == (1, 5)


@pytest.mark.parametrize(("new_grid", "num_prefix_tokens"), [(24, 1), (7, 1), ((10, 20), 1), (9, 0)])
def test_resample_pos_embed_equals_timm(new_grid, num_prefix_tokens):
    pos_embed = torch.randn(1, num_prefix_tokens + 14 * 14, 192, generator=torch.Generator().manual_seed(3))
    size = (new_grid, new_grid) if isinstance(new_grid, int) else new_grid
    expected = timm.layers.resample_abs_pos_embed(pos_embed, size, num_prefix_tokens=num_prefix_tokens)
    resampled = resample_pos_embed(pos_embed, new_grid, num_prefix_tokens=num_prefix_tokens)
    assert resampled.shape == (1, num_prefix_tokens + size[0] * size[1], 192)
    assert torch.equal(resampled[:, :num_prefix_tokens], pos_embed[:, :num_prefix_tokens])
    assert (resampled - expected).abs().max().item() < 1e-6


@pytest.mark.parametrize(("interpolation", "antialias"), [("bilinear", True), ("bilinear", False), ("nearest", False)])
def test_resample_pos_embed_other_interpolations_equal_timm(interpolation, antialias):
    pos_embed = torch.randn(1, 1 + 6 * 6, 16, generator=torch.Generator().manual_seed(4))
    expected = timm.layers.resample_abs_pos_embed(pos_embed, (9, 9), interpolation=interpolation,
                                                  antialias=antialias)
    resampled = resample_pos_embed(pos_embed, 9, interpolation=interpolation, antialias=antialias)
    assert (resampled - expected).abs().max().item() < 1e-6


def test_resample_pos_embed_nearest_works_with_the_default_antialias():
    """antialias (on by default) applies to the smooth modes only: "nearest" ignores it."""
    pos_embed = torch.randn(1, 1 + 4 * 4, 8, generator=torch.Generator().manual_seed(5))
    resampled = resample_pos_embed(pos_embed, 8, interpolation="nearest")
    assert torch.equal(resampled, resample_pos_embed(pos_embed, 8, interpolation="nearest", antialias=False))
    assert resampled.shape == (1, 1 + 8 * 8, 8)


def test_resample_pos_embed_same_grid_is_unchanged():
    pos_embed = torch.randn(1, 17, 8)
    assert resample_pos_embed(pos_embed, 4) is pos_embed
    with pytest.raises(ValueError, match="16 patch positions, which is not a 3x3 grid"):
        resample_pos_embed(pos_embed, 6, old_grid=3)
