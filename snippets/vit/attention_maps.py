"""Attention maps of a Vision Transformer, for /vit/attention-map/.

What a ViT's attention looks at, four ways: the class token's attention per block and
head (``cls_attention``), attention rollout through the blocks (``attention_rollout``,
Abnar & Zuidema 2020), and the mean attention distance per block and head
(``mean_attention_distance``, Dosovitskiy et al. 2021, figure 7 and appendix D.7). The
attention weights come from our own ViT
(``VisionTransformer.forward(x, return_attention=True)``) or from a timm
``VisionTransformer`` (``timm_attention``, forward hooks that recompute the softmax, so
fused attention does not matter).

Pretrained DeiT-Tiny weights are never downloaded: ``load_deit_tiny`` uses a local file
(a path, the environment variable ``MODEL_NOTES_DEIT_TINY_WEIGHTS``, or the Hugging Face
cache) and says so when there is none.

Shapes in comments: B batch, L blocks, h heads, g patches per side, N = g·g patches,
T = 1 + N tokens (class token first), D embedding width, d = D/h head width, p patch
size in pixels.
"""

# --8<-- [start:imports]
import math
import os
from collections.abc import Sequence
from pathlib import Path

import timm
import torch
import torch.nn.functional as F
from huggingface_hub import try_to_load_from_cache
from skimage import data as skimage_data
from timm.data import (
    DEFAULT_CROP_PCT,
    IMAGENET_DEFAULT_MEAN,
    IMAGENET_DEFAULT_STD,
    ImageNetInfo,
)
from torch import nn

# --8<-- [end:imports]


# --8<-- [start:checks]
def check_attentions(
    attentions: Sequence[torch.Tensor], grid: int | None = None
) -> int:
    """Check a list of L per-block attention tensors (B, h, T, T), T = 1 + g².

    Returns the grid side g. Raises a ValueError saying what was expected and what was
    given.
    """
    if isinstance(attentions, torch.Tensor) or not isinstance(attentions, Sequence):
        is_tensor = isinstance(attentions, torch.Tensor)
        shape = f" of shape {tuple(attentions.shape)}" if is_tensor else ""
        raise ValueError(
            "expected a list of per-block attention tensors (B, h, T, T), "
            f"got {type(attentions).__name__}{shape}"
        )
    if len(attentions) == 0:
        raise ValueError(
            "expected a non-empty list of per-block attention tensors (B, h, T, T), "
            "got an empty list"
        )
    first = attentions[0]
    if first.ndim != 4 or first.shape[-1] != first.shape[-2]:
        raise ValueError(
            "expected attention tensors of shape (B, h, T, T), "
            f"got shape {tuple(first.shape)} (block 0)"
        )
    for i, attn in enumerate(attentions):
        if attn.shape != first.shape:
            raise ValueError(
                "expected every block's attention to have the shape of block 0, "
                f"{tuple(first.shape)}; got {tuple(attn.shape)} for block {i}"
            )
    T = first.shape[-1]
    side = math.isqrt(T - 1)
    if side * side != T - 1:
        raise ValueError(
            "expected T = 1 + g² tokens (a class token and a g×g patch grid), "
            f"got T = {T}"
        )
    if grid is not None and grid != side:
        raise ValueError(
            f"expected T = 1 + {grid}² = {1 + grid * grid} tokens for grid={grid}, "
            f"got T = {T} (a {side}×{side} grid)"
        )
    return side


# --8<-- [end:checks]


# --8<-- [start:cls-attention]
def cls_attention(attentions: Sequence[torch.Tensor], grid: int) -> torch.Tensor:
    """The class token's attention to the patches, per block and head.

    Takes L per-block attention tensors (B, h, T, T) and returns (B, L, h, g, g), laid
    out on the patch grid: row 0 (the class token as query), columns 1: (the patches as
    keys). Each map sums to 1 minus what the class token gives itself.
    """
    check_attentions(attentions, grid)
    stacked = torch.stack(list(attentions), dim=1)  # L×(B, h, T, T) -> (B, L, h, T, T)
    cls_row = stacked[:, :, :, 0, 1:]  # (B, L, h, N): class-token query, patch keys
    # (B, L, h, N) -> (B, L, h, g, g), row-major like patchify
    return cls_row.reshape(*cls_row.shape[:3], grid, grid)


# --8<-- [end:cls-attention]


# --8<-- [start:rollout]
def attention_rollout(
    attentions: Sequence[torch.Tensor], add_residual: bool = True
) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema 2020).

    From "Quantifying Attention Flow in Transformers". Per block: average the heads, add
    the identity for the residual connection (Â = 0.5·A + 0.5·I) and renormalise the
    rows; then multiply through the blocks, R_1 = Â_1 and R_l = Â_l · R_(l-1). Row i of
    R_l says how much of token i's representation after block l comes from each input
    token. Takes L attention tensors (B, h, T, T); returns the rollout after each depth,
    (B, L, T, T).
    """
    check_attentions(attentions)
    first = attentions[0]
    T = first.shape[-1]
    identity = torch.eye(T, dtype=first.dtype, device=first.device)  # (T, T)
    rollout = None
    depths = []
    for attn in attentions:
        mixed = attn.mean(dim=1)  # (B, h, T, T) -> (B, T, T): heads averaged
        if add_residual:  # half the signal skips the attention
            mixed = 0.5 * mixed + 0.5 * identity  # (B, T, T)
        mixed = mixed / mixed.sum(dim=-1, keepdim=True)  # (B, T, T): rows sum to 1
        rollout = mixed if rollout is None else mixed @ rollout  # (B, T, T) @ (B, T, T)
        depths.append(rollout)
    return torch.stack(depths, dim=1)  # L × (B, T, T) -> (B, L, T, T)


def rollout_cls_map(rollout: torch.Tensor, grid: int) -> torch.Tensor:
    """The class token's row of a rollout (B, L, T, T), laid out on the grid.

    Patch columns only; returns (B, L, g, g).
    """
    if (
        rollout.ndim != 4
        or rollout.shape[-1] != rollout.shape[-2]
        or rollout.shape[-1] != 1 + grid * grid
    ):
        raise ValueError(
            f"expected a rollout of shape (B, L, T, T) with T = 1 + {grid}² = "
            f"{1 + grid * grid}, got shape {tuple(rollout.shape)}"
        )
    cls_row = rollout[:, :, 0, 1:]  # (B, L, N): class token's row, patch columns
    return cls_row.reshape(*cls_row.shape[:2], grid, grid)  # (B, L, N) -> (B, L, g, g)


# --8<-- [end:rollout]


# --8<-- [start:distance]
def patch_distances(grid: int, patch_size: int) -> torch.Tensor:
    """Euclidean distances in pixels between the centres of the g×g patches, (N, N).

    Patches in row-major order.
    """
    steps = torch.arange(grid)  # (g,)
    rows, cols = torch.meshgrid(steps, steps, indexing="ij")  # (g, g) each
    centres = torch.stack([rows.flatten(), cols.flatten()], dim=1)  # (g, g) -> (N, 2)
    centres = centres * patch_size  # in pixels
    # (N, 1, 2) - (1, N, 2): every pair of patches
    offsets = (centres[:, None, :] - centres[None, :, :]).float()  # (N, N, 2)
    return offsets.norm(dim=-1)  # (N, N, 2) -> (N, N)


def mean_attention_distance(
    attentions: Sequence[torch.Tensor],
    grid: int,
    patch_size: int,
    renormalize: bool = True,
) -> torch.Tensor:
    """Mean attention distance per block and head in pixels, (L, h).

    As in the ViT paper, figure 7 and appendix D.7: for every patch query, the
    attention-weighted mean distance to the patch keys; averaged over the query patches
    and the images. The class token takes part neither as query nor as key: it has no
    place on the image. Without it a patch's weights over the patch keys sum to less
    than 1, so they are renormalised (``renormalize=True``) to make a proper weighted
    mean: the distance to the patch being looked at, given that a patch is looked at.
    Not renormalising (as some re-implementations do) counts the weight on the class
    token as distance 0, and a head that mostly attends to the class token would look
    local although it looks at no nearby patch.
    """
    check_attentions(attentions, grid)
    stacked = torch.stack(list(attentions), dim=1)  # L×(B, h, T, T) -> (B, L, h, T, T)
    weights = stacked[..., 1:, 1:]  # (B, L, h, N, N): patch queries, patch keys
    if renormalize:
        # (B, L, h, N, N): each query's row sums to 1 (a row with no weight on any
        # patch stays 0, not NaN)
        tiny = torch.finfo(weights.dtype).tiny
        weights = weights / weights.sum(dim=-1, keepdim=True).clamp_min(tiny)
    distances = patch_distances(grid, patch_size).to(weights)  # (N, N)
    # (B, L, h, N, N) · (N, N), summed over the keys
    per_query = (weights * distances).sum(dim=-1)  # (B, L, h, N)
    return per_query.mean(dim=(0, 3))  # (L, h): mean over images and query patches


# --8<-- [end:distance]


# --8<-- [start:timm-hooks]
def attention_weights(attn: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Recompute an attention module's softmax(q·kᵀ·scale) from its input x.

    Takes x (B, T, D) and returns (B, h, T, T). Works for timm's ``Attention`` (with
    ``q_norm``/``k_norm``, identities unless built with qk_norm=True) and for ours,
    which has the same ``qkv``, ``num_heads``, ``head_dim`` and ``scale``.
    """
    if not isinstance(getattr(attn, "qkv", None), nn.Linear):
        raise TypeError(
            "expected an attention module with one fused qkv Linear "
            f"(timm's Attention), got {type(attn).__name__}"
        )
    B, T, _ = x.shape
    h, d = attn.num_heads, attn.head_dim
    qkv = attn.qkv(x)  # (B, T, D) -> (B, T, 3·h·d)
    qkv = qkv.reshape(B, T, 3, h, d)  # (B, T, 3·h·d) -> (B, T, 3, h, d)
    qkv = qkv.permute(2, 0, 3, 1, 4)  # (B, T, 3, h, d) -> (3, B, h, T, d)
    q, k, _ = qkv.unbind(0)  # three (B, h, T, d)
    q = getattr(attn, "q_norm", nn.Identity())(q)  # (B, h, T, d)
    k = getattr(attn, "k_norm", nn.Identity())(k)  # (B, h, T, d)
    scores = (q * attn.scale) @ k.transpose(-2, -1)  # (B, h, T, d) @ (B, h, d, T)
    return scores.softmax(dim=-1)  # (B, h, T, T): each row sums to 1


@torch.no_grad()
def timm_attention(
    model: nn.Module, images: torch.Tensor
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Run a timm ``VisionTransformer`` and return (logits, per-block attention).

    The attention comes as one (B, h, T, T) tensor per block. A forward hook on every
    ``blocks[i].attn`` reads the module's input and recomputes the attention weights, so
    the result is the same whether the module uses fused
    ``scaled_dot_product_attention`` (which never materialises the matrix) or the
    explicit softmax. The hooks are removed afterwards, also when the forward pass
    fails.
    """
    attentions = []

    def record(module: nn.Module, args: tuple, kwargs: dict, output) -> None:
        x = args[0] if args else kwargs["x"]  # (B, T, D): the block's normalised input
        attentions.append(attention_weights(module, x))  # (B, h, T, T)

    handles = [
        block.attn.register_forward_hook(record, with_kwargs=True)
        for block in model.blocks
    ]
    try:
        logits = model(images)  # (B, num_classes)
    finally:
        for handle in handles:
            handle.remove()
    return logits, attentions


# --8<-- [end:timm-hooks]


# --8<-- [start:weights]
DEIT_TINY = "deit_tiny_patch16_224"
WEIGHTS_ENV = "MODEL_NOTES_DEIT_TINY_WEIGHTS"
HF_REPO = "timm/deit_tiny_patch16_224.fb_in1k"
HF_FILENAME = "model.safetensors"
NO_WEIGHTS_MESSAGE = (
    "No pretrained DeiT-Tiny weights were found: set the environment variable "
    f"{WEIGHTS_ENV} to a weights file (.safetensors or .pth), or put {HF_FILENAME} "
    f"of {HF_REPO} in the Hugging Face cache (for example with "
    f"`hf download {HF_REPO} {HF_FILENAME}` on a machine with network access)."
)


def _locate_weights(
    path: str | Path | None, hf_cache_dir: str | Path | None
) -> tuple[Path, str] | None:
    """(weights file, where it was found), or None."""
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"no DeiT-Tiny weights file at {path}")
        return path, "the given path"
    from_env = os.environ.get(WEIGHTS_ENV, "")
    if from_env:
        path = Path(from_env).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"{WEIGHTS_ENV} is set to {from_env}, but there is no file at {path}"
            )
        return path, f"${WEIGHTS_ENV}"
    # Only looks in the cache, never downloads. Returns a str when the file is cached,
    # None when it is not, and a sentinel object when the Hub said the file does not
    # exist. Without cache_dir the cache is $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE
    # (older name), else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
    # ~/.cache/huggingface/hub (read when huggingface_hub is imported).
    cached = try_to_load_from_cache(HF_REPO, HF_FILENAME, cache_dir=hf_cache_dir)
    if isinstance(cached, str):
        return Path(cached), f"the Hugging Face cache ({HF_REPO})"
    return None


def find_deit_tiny_weights(
    path: str | Path | None = None, *, hf_cache_dir: str | Path | None = None
) -> Path | None:
    """The DeiT-Tiny weights file to use, or None; nothing is downloaded.

    In this order: ``path`` (must exist), the file named by
    ``$MODEL_NOTES_DEIT_TINY_WEIGHTS`` when that is set and not empty (must exist),
    ``model.safetensors`` of timm/deit_tiny_patch16_224.fb_in1k in the Hugging Face hub
    cache: ``hf_cache_dir`` (the folder holding ``models--timm--...``), or by default
    ``$HF_HUB_CACHE``, else ``$HUGGINGFACE_HUB_CACHE``, else ``$HF_HOME/hub``, else
    ``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub``.
    """
    found = _locate_weights(path, hf_cache_dir)
    return None if found is None else found[0]


def load_deit_tiny(
    path: str | Path | None = None, *, hf_cache_dir: str | Path | None = None
) -> tuple[nn.Module | None, str]:
    """timm's DeiT-Tiny in eval mode, with pretrained weights from a local file.

    Returns (model, a one-line message naming the file the weights came from), or
    (None, NO_WEIGHTS_MESSAGE) when ``find_deit_tiny_weights`` finds nothing. timm reads
    the file itself, without any network access (``.safetensors``, or a torch
    checkpoint with the state dict at the top or under "model"/"state_dict"), passes it
    through its ViT checkpoint filter (which would resample position embeddings learned
    on another patch grid) and loads it with strict=True; a file that cannot be read or
    does not fit raises a ValueError naming the file.
    """
    found = _locate_weights(path, hf_cache_dir)
    if found is None:
        return None, NO_WEIGHTS_MESSAGE
    file, source = found
    try:
        model = timm.create_model(
            DEIT_TINY, pretrained=True, pretrained_cfg_overlay=dict(file=str(file))
        )
    except Exception as error:
        raise ValueError(
            f"could not load DeiT-Tiny weights from {file}: "
            f"{type(error).__name__}: {error}"
        ) from error
    return model.eval(), f"DeiT-Tiny weights loaded from {file} (found via {source})"


# --8<-- [end:weights]


# --8<-- [start:photo]
def load_photo(size: int = 224) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-image's cat photo, prepared as timm prepares DeiT's evaluation images.

    The photo is ``chelsea`` (300×451). Its shorter side is resized to
    floor(size / 0.875) (256 for 224; bicubic, antialiased) and the centre size×size
    square is cut out. Returns the model input (1, 3, size, size), normalised with the
    ImageNet mean and standard deviation, and the same crop unnormalised as
    (size, size, 3) in [0, 1] for overlays.
    """
    image = torch.from_numpy(skimage_data.chelsea())  # (H, W, 3) uint8
    image = image.float() / 255  # uint8 -> float in [0, 1]
    image = image.permute(2, 0, 1)  # (H, W, 3) -> (3, H, W)
    H, W = image.shape[1:]
    short = math.floor(size / DEFAULT_CROP_PCT)  # 256 for size 224
    if H <= W:
        new_h, new_w = short, int(W * short / H)
    else:
        new_h, new_w = int(H * short / W), short
    resized = F.interpolate(
        image[None],  # (1, 3, H, W)
        size=(new_h, new_w),
        mode="bicubic",
        antialias=True,
        align_corners=False,
    )
    resized = resized[0].clamp(0, 1)  # (1, 3, new_h, new_w) -> (3, new_h, new_w)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    crop = resized[:, top : top + size, left : left + size]  # (3, size, size)
    # Per-channel mean and standard deviation, broadcast over the pixels.
    mean = torch.tensor(IMAGENET_DEFAULT_MEAN).view(3, 1, 1)  # (3,) -> (3, 1, 1)
    std = torch.tensor(IMAGENET_DEFAULT_STD).view(3, 1, 1)  # (3,) -> (3, 1, 1)
    normalised = ((crop - mean) / std)[None]  # (3, size, size) -> (1, 3, size, size)
    return normalised, crop.permute(1, 2, 0)  # (3, size, size) -> (size, size, 3)


# --8<-- [end:photo]


# --8<-- [start:top-classes]
def top_classes(logits: torch.Tensor, k: int = 5) -> list[tuple[str, float]]:
    """The k most probable ImageNet-1k classes of one image, as (name, probability).

    ``logits`` is (1000,) or (1, 1000). Class names come with timm
    (``timm.data.ImageNetInfo``), no download.
    """
    if logits.ndim == 2 and logits.shape[0] == 1:
        logits = logits[0]  # (1, 1000) -> (1000,)
    if logits.ndim != 1 or logits.shape[0] != 1000:
        raise ValueError(
            f"expected one image's ImageNet-1k logits, shape (1000,) or (1, 1000), "
            f"got shape {tuple(logits.shape)}"
        )
    probabilities = logits.float().softmax(dim=-1)  # (1000,)
    top = probabilities.topk(k)  # values and indices, (k,) each, most probable first
    info = ImageNetInfo()
    return [
        (info.index_to_description(i), p)
        for i, p in zip(top.indices.tolist(), top.values.tolist(), strict=True)
    ]


# --8<-- [end:top-classes]
