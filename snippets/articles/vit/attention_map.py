"""Listings, numbers and figures of /vit/attention-map/.

The maps come from the digits ViT fine-tuned at 32×32 in /vit/fine-tuning/ (an 8×8 patch
grid), and from timm's DeiT-Tiny when pretrained weights are found on this machine
(never downloaded). The DeiT jobs declare where such weights can be (``external``): the
jobs re-run when a file appears, changes or goes away there. Each output job's body is a
listing on the page.
"""

import math

import numpy as np
from matplotlib.figure import Figure

from snippets.build import figure, output, values
from snippets.vit import digits
from snippets.vit.attention_maps import (
    attention_rollout,
    cls_attention,
    load_deit_tiny,
    load_photo,
    mean_attention_distance,
    patch_distances,
    rollout_cls_map,
    timm_attention,
    top_classes,
)
from snippets.vit.figures import no_weights_figure

# isort: split
import torch

EXAMPLE_DIGITS = (0, 4, 7, 8)  # the first test image of each is shown in the figures


@output("vit-attn-extract", page="vit/attention-map")
def extract():
    # --8<-- [start:extract]
    from dataclasses import replace

    from snippets.vit.digits import DIGITS_CONFIG, load_data, make_model

    # random weights: this checks the formula, not what a trained model looks at
    model = make_model(replace(DIGITS_CONFIG, img_size=32)).eval()
    (images, _), _ = load_data(img_size=32)
    images = images[:8]  # (8, 1, 32, 32): an 8×8 grid of 4×4 patches, T = 65 tokens
    with torch.no_grad():
        logits, attentions = model(images, return_attention=True)
        shape = tuple(attentions[0].shape)
        print(f"{len(attentions)} blocks, each {shape} (B, h, T, T)")
        # Block 0 by hand: tokens, LayerNorm, q and k from qkv, softmax(q·kᵀ/√d).
        block = model.blocks[0]
        B, h, T = attentions[0].shape[:3]
        d = model.config.head_dim
        cls = model.cls_token.expand(B, -1, -1)  # (B, 1, D)
        patches = model.patch_embed(images)  # (B, N, D)
        tokens = torch.cat([cls, patches], dim=1) + model.pos_embed  # (B, T, D)
        qkv = block.attn.qkv(block.norm1(tokens))  # (B, T, D) -> (B, T, 3·D)
        qkv = qkv.reshape(B, T, 3, h, d)  # (B, T, 3·D) -> (B, T, 3, h, d)
        q = qkv[:, :, 0].transpose(1, 2)  # (B, T, h, d) -> (B, h, T, d)
        k = qkv[:, :, 1].transpose(1, 2)  # (B, T, h, d) -> (B, h, T, d)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (B, h, T, T)
        manual = scores.softmax(dim=-1)  # (B, h, T, T)
    print("max |by hand - returned| =", (manual - attentions[0]).abs().max().item())
    print(
        "largest |row sum - 1| over all blocks:",
        max((a.sum(-1) - 1).abs().max().item() for a in attentions),
    )
    # --8<-- [end:extract]


@output("vit-attn-timm-fused", page="vit/attention-map")
def timm_fused():
    # --8<-- [start:timm-fused]
    import timm

    from snippets.vit.model import (
        VisionTransformer,
        ViTConfig,
        load_timm_state_dict,
        set_fused_attention,
    )

    torch.manual_seed(0)  # random weights, the same wherever this runs: a check only
    reference = timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()
    ours = VisionTransformer(ViTConfig.deit_tiny()).eval()
    load_timm_state_dict(ours, reference.state_dict())
    images = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    maps = {}
    for fused in (True, False):
        set_fused_attention(reference, fused)
        _, maps[fused] = timm_attention(reference, images)
    with torch.no_grad():
        _, ours_maps = ours(images, return_attention=True)
    print(f"{len(maps[True])} blocks, each {tuple(maps[True][0].shape)}")
    fused_gap = max(
        (on - off).abs().max().item()
        for on, off in zip(maps[True], maps[False], strict=True)
    )
    ours_gap = max(
        (a - b).abs().max().item() for a, b in zip(maps[True], ours_maps, strict=True)
    )
    print(f"max |fused on - fused off| = {fused_gap:.1e}")
    print(f"max |timm - ours|          = {ours_gap:.1e}")
    # --8<-- [end:timm-fused]


@output("vit-attn-rollout-known", page="vit/attention-map")
def rollout_known():
    # --8<-- [start:rollout-known]
    T, depth = 5, 3
    identity = [torch.eye(T).expand(1, 2, T, T)] * depth  # every head attends to itself
    uniform = [torch.full((1, 2, T, T), 1 / T)] * depth  # all T tokens weighted equally
    print(
        "identity, rollout = I at every depth:",
        torch.allclose(attention_rollout(identity)[0], torch.eye(T)),
    )
    rollout = attention_rollout(uniform)[0]  # (depth, T, T)
    for layer in range(depth):
        r = rollout[layer]
        print(
            f"uniform, depth {layer + 1}: diagonal {r[0, 0].item():.4f}, "
            f"off-diagonal {r[0, 1].item():.4f}, "
            f"row sums {r.sum(-1).min().item():.4f}..{r.sum(-1).max().item():.4f}"
        )
    # --8<-- [end:rollout-known]


def _digits_model_and_data(vit_finetune_resolution):
    checkpoint = vit_finetune_resolution["files"]["vit-digits-32.pt"]
    model, _ = digits.load_checkpoint(checkpoint)
    _, (images, labels) = digits.load_data(model.config.img_size)
    return model, images, labels


def _ink_patches(images: torch.Tensor, grid: int) -> torch.Tensor:
    """(B, g, g) booleans: the patches where the digit is.

    Those brighter than halfway between the image's darkest and brightest patch (patch
    brightness = mean pixel value).
    """
    B, _, H, W = images.shape
    p = H // grid
    patches = images[:, 0].reshape(B, grid, p, grid, p)  # (B, H, W) -> (B, g, p, g, p)
    brightness = patches.mean(dim=(2, 4))  # (B, g, g)
    flat = brightness.flatten(1)  # (B, N)
    low, high = flat.min(1).values, flat.max(1).values  # (B,) each
    return brightness > ((low + high) / 2)[:, None, None]  # (B, g, g)


def _evenness(maps: torch.Tensor) -> float:
    """Mean normalised entropy of (B, g, g) maps over the patches.

    1 for a map spread evenly over all patches, 0 for one on a single patch.
    """
    p = maps.flatten(1) / maps.flatten(1).sum(1, keepdim=True)  # (B, N), rows sum to 1
    entropy = -(p * p.clamp_min(1e-12).log()).sum(1)  # (B,)
    return (entropy / math.log(p.shape[1])).mean().item()


def _peak_to_mean(maps: torch.Tensor) -> float:
    """Mean over (B, g, g) maps of the largest cell's weight divided by the mean cell's:
    1 for an even map. The figures scale each map to its own maximum, so they show any
    ratio above 1 as the full colour range."""
    flat = maps.flatten(1)  # (B, N)
    return (flat.max(1).values / flat.mean(1)).mean().item()


def _share_on(maps: torch.Tensor, where: torch.Tensor) -> float:
    """Mean over images of the share of a map's mass that lies where ``where`` is true.

    ``maps`` and ``where`` are both (B, g, g).
    """
    return ((maps * where).flatten(1).sum(1) / maps.flatten(1).sum(1)).mean().item()


def _one_patch_distances(grid: int, patch: int, heads: torch.Tensor) -> dict:
    """Mean attention distance of a head that gives all its weight to one fixed patch:
    the mean distance of every patch to it. Its smallest (a central patch),
    largest (a corner), and how many of the patches give a value inside the range of
    the model's heads (``heads``, (L, h))."""
    fixed = patch_distances(grid, patch).mean(dim=0)  # (N,): one value per fixed patch
    inside = (fixed >= heads.min()) & (fixed <= heads.max())
    return {
        "min": fixed.min().item(),
        "max": fixed.max().item(),
        "in_range": int(inside.sum()),
        "patches": grid * grid,
    }


@values("vit-attn-digits", page="vit/attention-map", needs=("vit-finetune-resolution",))
def digits_attention(vit_finetune_resolution) -> dict:
    """Numbers about the digits model's attention over all test images."""
    model, images, labels = _digits_model_and_data(vit_finetune_resolution)
    config = model.config
    with torch.no_grad():
        logits, attentions = model(images, return_attention=True)
    grid = config.grid_size
    distance = mean_attention_distance(attentions, grid, config.patch_size)  # (L, h)
    rollout = rollout_cls_map(attention_rollout(attentions), grid)  # (B, L, g, g)
    per_head = cls_attention(attentions, grid)  # (B, L, h, g, g)
    cls = per_head.mean(dim=2)  # (B, L, h, g, g) -> (B, L, g, g): heads averaged
    ink = _ink_patches(images, grid)  # (B, g, g)
    depths = range(config.depth)
    # by depth, keyed d1..dL (the page's placeholders index dicts, not lists)
    return {
        "accuracy": (logits.argmax(1) == labels).float().mean().item(),
        "n_test": len(labels),
        "n_train": vit_finetune_resolution["n_train"],
        "img_size": config.img_size,
        "grid": config.grid_size,
        "patch": config.patch_size,
        "depth": config.depth,
        "heads": config.num_heads,
        "tokens": 1 + config.num_patches,
        "distance": distance.tolist(),
        "uniform_distance": mean_attention_distance(
            [torch.full_like(attentions[0], 1.0)], grid, config.patch_size
        )[0, 0].item(),
        "distance_range": {"min": distance.min().item(), "max": distance.max().item()},
        # a head that looks at one fixed patch only: its mean distance, per patch
        "one_patch": _one_patch_distances(grid, config.patch_size, distance),
        "ink": {
            "patches": ink.float().mean().item(),  # share of the patches that hold ink
            "rollout": {f"d{i + 1}": _share_on(rollout[:, i], ink) for i in depths},
            "cls": {f"d{i + 1}": _share_on(cls[:, i], ink) for i in depths},
        },
        # 1: an even map; higher: concentrated on a few patches
        "peak_to_mean": {
            "rollout": {f"d{i + 1}": _peak_to_mean(rollout[:, i]) for i in depths}
        },
        # 1: spread evenly over all patches; lower: concentrated on a few
        "evenness": {
            "rollout": {f"d{i + 1}": _evenness(rollout[:, i]) for i in depths},
            "cls_heads": {
                f"d{i + 1}": _evenness(per_head[:, i].flatten(0, 1)) for i in depths
            },
        },
    }


def _overlay(ax, image: np.ndarray, heat: np.ndarray) -> None:
    """A grey image with a (g, g) map over it, stretched to the image's size.

    The map is scaled to its own maximum.
    """
    size = image.shape[0]
    ax.imshow(image, cmap="gray", interpolation="nearest")
    ax.imshow(
        heat / heat.max(),
        cmap="inferno",
        alpha=0.6,
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(-0.5, size - 0.5, size - 0.5, -0.5),
    )
    ax.set_axis_off()


def _examples(images: torch.Tensor, labels: torch.Tensor) -> list[int]:
    return [int((labels == digit).nonzero()[0]) for digit in EXAMPLE_DIGITS]


@figure(
    "vit-attn-cls-maps",
    page="vit/attention-map",
    needs=("vit-finetune-resolution",),
    format="png",
)
def cls_maps(themes, vit_finetune_resolution):
    """The class token's attention for one test digit.

    One row per block, one column per head.
    """
    model, images, labels = _digits_model_and_data(vit_finetune_resolution)
    index = _examples(images, labels)[0]
    with torch.no_grad():
        _, attentions = model(images[index : index + 1], return_attention=True)
    maps = cls_attention(attentions, model.config.grid_size)[0]  # (L, h, g, g)
    for theme in themes:
        yield _cls_grid(theme, images[index, 0].numpy(), maps)


def _cls_grid(theme, picture: np.ndarray, maps: torch.Tensor) -> Figure:
    L, h = maps.shape[:2]
    fig = Figure(figsize=(1.6 * h + 0.6, 1.6 * L + 0.4))
    axes = fig.subplots(L, h)
    for layer in range(L):
        for head in range(h):
            ax = axes[layer, head]
            _overlay(ax, picture, maps[layer, head].numpy())
            if layer == 0:
                ax.set_title(
                    theme.text(ko=f"헤드 {head + 1}", en=f"head {head + 1}"),
                    fontsize="small",
                )
            if head == 0:
                ax.text(
                    -0.08,
                    0.5,
                    theme.text(ko=f"블록 {layer + 1}", en=f"block {layer + 1}"),
                    transform=ax.transAxes,
                    ha="right",
                    va="center",
                    fontsize="small",
                )
    fig.tight_layout()
    return fig


@figure(
    "vit-attn-rollout",
    page="vit/attention-map",
    needs=("vit-finetune-resolution",),
    format="png",
)
def rollout_maps(themes, vit_finetune_resolution):
    """Attention rollout of the class token after each depth, for four test digits."""
    model, images, labels = _digits_model_and_data(vit_finetune_resolution)
    chosen = _examples(images, labels)
    with torch.no_grad():
        _, attentions = model(images[chosen], return_attention=True)
    grid = model.config.grid_size
    maps = rollout_cls_map(attention_rollout(attentions), grid)  # (4, L, g, g)
    for theme in themes:
        yield _rollout_grid(theme, images, chosen, maps)


def _rollout_grid(
    theme, images: torch.Tensor, chosen: list[int], maps: torch.Tensor
) -> Figure:
    L = maps.shape[1]
    fig = Figure(figsize=(1.5 * (L + 1), 1.5 * len(chosen) + 0.3))
    axes = fig.subplots(len(chosen), L + 1)
    for row, index in enumerate(chosen):
        picture = images[index, 0].numpy()
        axes[row, 0].imshow(picture, cmap="gray", interpolation="nearest")
        axes[row, 0].set_axis_off()
        for layer in range(L):
            _overlay(axes[row, layer + 1], picture, maps[row, layer].numpy())
            if row == 0:
                axes[row, layer + 1].set_title(
                    theme.text(ko=f"깊이 {layer + 1}", en=f"depth {layer + 1}"),
                    fontsize="small",
                )
    axes[0, 0].set_title(theme.text(ko="입력", en="input"), fontsize="small")
    fig.tight_layout()
    return fig


@figure("vit-attn-distance", page="vit/attention-map", needs=("vit-attn-digits",))
def distance_plot(theme, vit_attn_digits) -> Figure:
    """Mean attention distance of each head against depth (ViT paper, fig. 7, right)."""
    return _distance_figure(
        theme,
        np.array(vit_attn_digits["distance"]),  # (L, h)
        vit_attn_digits["uniform_distance"],
    )


def _distance_figure(theme, distance: np.ndarray, uniform: float) -> Figure:
    L, h = distance.shape
    fig = Figure(figsize=(4.8, 3.4))
    ax = fig.subplots()
    spread = 0.5 / h  # heads side by side around each block, so no dot hides another
    for head in range(h):
        ax.scatter(
            np.arange(1, L + 1) + (head - (h - 1) / 2) * spread,
            distance[:, head],
            color=theme.colors[head % len(theme.colors)],
            label=theme.text(ko=f"헤드 {head + 1}", en=f"head {head + 1}"),
            s=24,
        )
    ax.axhline(
        uniform,
        color=theme.muted,
        linestyle="--",
        linewidth=1,
        label=theme.text(
            ko="모든 패치를 똑같이 볼 때", en="every patch weighted equally"
        ),
    )
    ax.set(
        xlabel=theme.text(ko="블록 (깊이)", en="block (depth)"),
        ylabel=theme.text(
            ko="평균 어텐션 거리 (픽셀)", en="mean attention distance (pixels)"
        ),
        xticks=range(1, L + 1),
        xlim=(0.5, L + 0.5),
        ylim=(0, 1.3 * max(distance.max(), uniform)),
    )
    ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    return fig


# Where find_deit_tiny_weights looks for pretrained weights: the DeiT jobs re-run when a
# file appears, changes or goes there (a literal: the build reads it without importing
# this module; tests/articles/vit/test_attention_map.py checks it against the loader).
DEIT_WEIGHTS = (
    "$MODEL_NOTES_DEIT_TINY_WEIGHTS",
    (
        "$HF_HUB_CACHE/models--timm--deit_tiny_patch16_224.fb_in1k"
        "/snapshots/*/model.safetensors"
    ),
    (
        "$HUGGINGFACE_HUB_CACHE/models--timm--deit_tiny_patch16_224.fb_in1k"
        "/snapshots/*/model.safetensors"
    ),
    (
        "$HF_HOME/hub/models--timm--deit_tiny_patch16_224.fb_in1k"
        "/snapshots/*/model.safetensors"
    ),
    (
        "$XDG_CACHE_HOME/huggingface/hub/models--timm--deit_tiny_patch16_224.fb_in1k"
        "/snapshots/*/model.safetensors"
    ),
    (
        "~/.cache/huggingface/hub/models--timm--deit_tiny_patch16_224.fb_in1k"
        "/snapshots/*/model.safetensors"
    ),
)


@output("vit-deit-status", page="vit/attention-map", external=DEIT_WEIGHTS)
def deit_status():
    # --8<-- [start:deit]
    # from a path argument, $MODEL_NOTES_DEIT_TINY_WEIGHTS or the Hugging Face cache
    model, message = load_deit_tiny()
    print(message)
    if model is not None:
        images, photo = load_photo(224)  # chelsea, cropped like DeiT's eval images
        logits, attentions = timm_attention(model, images)  # 12 × (1, 3, 197, 197)
        for name, probability in top_classes(logits, k=5):
            print(f"{probability:6.1%}  {name}")
    # --8<-- [end:deit]


@values("vit-deit-attention", page="vit/attention-map", external=DEIT_WEIGHTS)
def deit_attention() -> dict:
    """Whether pretrained DeiT-Tiny weights were found.

    If so, also numbers about its attention on chelsea.
    """
    model, message = load_deit_tiny()
    if model is None:
        return {"available": False, "message": message}
    images, _ = load_photo(224)
    logits, attentions = timm_attention(model, images)
    grid = int(math.isqrt(attentions[0].shape[-1] - 1))
    patch = model.patch_embed.patch_size[0]
    distance = mean_attention_distance(attentions, grid, patch)  # (12, 3)
    top = top_classes(logits, k=5)
    return {
        "available": True,
        "message": message,
        "grid": grid,
        "top": {"name": top[0][0], "probability": top[0][1]},
        "distance": distance.tolist(),
        "uniform_distance": mean_attention_distance(
            [torch.full_like(attentions[0], 1.0)], grid, patch
        )[0, 0].item(),
        "distance_first": {
            "min": distance[0].min().item(),
            "max": distance[0].max().item(),
        },
        "distance_last": {
            "min": distance[-1].min().item(),
            "max": distance[-1].max().item(),
        },
    }


@figure(
    "vit-deit-maps",
    page="vit/attention-map",
    needs=("vit-deit-attention",),
    format="png",
)
def deit_maps(themes, vit_deit_attention):
    """DeiT-Tiny on chelsea: class-token attention and rollout.

    The last block's class-token attention per head, and the rollout at four depths.
    Drawn only with pretrained weights. Without them the figure says so in words (the
    page then shows its fallback note instead of this figure): a randomly initialised
    network's maps mean nothing.
    """
    if not vit_deit_attention["available"]:
        for theme in themes:
            yield no_weights_figure(theme, ko="맵을", en="maps")
        return
    model, _ = load_deit_tiny()
    images, photo = load_photo(224)
    _, attentions = timm_attention(model, images)
    grid = vit_deit_attention["grid"]
    last = cls_attention(attentions, grid)[0, -1]  # (h, g, g)
    rollout = rollout_cls_map(attention_rollout(attentions), grid)[0]  # (L, g, g)
    for theme in themes:
        yield _deit_grid(theme, photo, last, rollout, len(attentions))


@figure("vit-deit-distance", page="vit/attention-map", needs=("vit-deit-attention",))
def deit_distance(theme, vit_deit_attention) -> Figure:
    """DeiT-Tiny's mean attention distance per head and block, on chelsea.

    Without pretrained weights the figure says so in words, as vit-deit-maps does.
    """
    if not vit_deit_attention["available"]:
        return no_weights_figure(theme, ko="그래프를", en="plot")
    return _distance_figure(
        theme,
        np.array(vit_deit_attention["distance"]),  # (12, 3)
        vit_deit_attention["uniform_distance"],
    )


def _deit_grid(
    theme, photo: torch.Tensor, last: torch.Tensor, rollout: torch.Tensor, blocks: int
) -> Figure:
    depths = (1, 4, 8, blocks)
    picture = photo.mean(dim=-1).numpy()  # grey, so the map's colours stand out
    fig = Figure(figsize=(7.6, 4.0))
    axes = fig.subplots(2, 4)
    axes[0, 0].imshow(photo.numpy())
    axes[0, 0].set_axis_off()
    axes[0, 0].set_title(theme.text(ko="입력", en="input"), fontsize="small")
    for head in range(last.shape[0]):
        _overlay(axes[0, head + 1], picture, last[head].numpy())
        title = theme.text(
            ko=f"블록 {blocks}, 헤드 {head + 1}", en=f"block {blocks}, head {head + 1}"
        )
        axes[0, head + 1].set_title(title, fontsize="small")
    for col, depth in enumerate(depths):
        _overlay(axes[1, col], picture, rollout[depth - 1].numpy())
        axes[1, col].set_title(
            theme.text(ko=f"롤아웃, 깊이 {depth}", en=f"rollout, depth {depth}"),
            fontsize="small",
        )
    fig.tight_layout()
    return fig
