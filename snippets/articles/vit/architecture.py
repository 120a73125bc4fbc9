"""The ViT architecture article (/vit/architecture/): its listings and build jobs.

A real photo cut into 16×16 patches and laid out as the sequence a ViT reads
(scikit-image's ``chelsea``, which ships with the package), the parameter counts of the
published configurations, and the position-embedding similarity of the digits model
trained for /vit/implementation/ (job ``vit-digits``) and, when the build has its
pretrained weights, of DeiT-Tiny (found by ``vit-deit-attention`` of
/vit/attention-map/, whose key follows the weights file)."""

import re

import numpy as np
from matplotlib.figure import Figure

from snippets.build import figure, values
from snippets.vit import digits
from snippets.vit.attention_maps import load_deit_tiny
from snippets.vit.figures import (
    no_weights_figure,
    similarity_colorbar,
    similarity_mosaic,
)
from snippets.vit.model import PRESETS, position_similarity

# isort: split
# --8<-- [start:patches]
import torch
import torch.nn.functional as F
from skimage import data


def photo(size: int = 224) -> torch.Tensor:
    """scikit-image's cat photo, centre-cropped to a square and resized: (3, size, size)
    in [0, 1]."""
    image = torch.tensor(data.chelsea()).permute(2, 0, 1).float() / 255  # (3, 300, 451)
    h, w = image.shape[1:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = image[:, top : top + side, left : left + side]  # (3, 300, 300)
    batch = square[None]  # (1, 3, 300, 300)
    resized = F.interpolate(
        batch, size=(size, size), mode="bilinear", antialias=True, align_corners=False
    )
    return resized[0].clamp(0, 1)  # (3, size, size)


def to_patches(image: torch.Tensor, patch: int = 16) -> torch.Tensor:
    """(C, H, W) -> (N, C, patch, patch), N = (H/patch)·(W/patch), in raster order
    (row by row)."""
    c, h, w = image.shape
    if h % patch or w % patch:
        raise ValueError(
            f"image size {h}×{w} is not divisible by the patch size {patch}"
        )
    rows, cols = h // patch, w // patch
    grid = image.reshape(c, rows, patch, cols, patch)  # (C, rows, p, cols, p)
    grid = grid.permute(1, 3, 0, 2, 4)  # (rows, cols, C, p, p)
    return grid.reshape(-1, c, patch, patch)  # (rows·cols, C, p, p)


# --8<-- [end:patches]


@values("vit-photo-patches", page="vit/architecture")
def patch_numbers() -> dict:
    image = photo()
    patches = to_patches(image)
    return {
        "size": image.shape[-1],
        "patch": 16,
        "patches": patches.shape[0],
        "last": patches.shape[0] - 1,  # the last patch's index
        "grid": image.shape[-1] // 16,
        "values_per_patch": int(np.prod(patches.shape[1:])),
    }


@figure("vit-photo-patches-figure", page="vit/architecture", format="png")
def patches_figure(themes):
    image = photo()
    patches = to_patches(image)  # (196, 3, 16, 16)
    for theme in themes:
        yield _patches_drawing(theme, image, patches, head=10, tail=3)


def _patches_drawing(theme, image, patches, head: int, tail: int) -> Figure:
    """The image with its patch grid, and the sequence as one strip: the first ``head``
    patches, an ellipsis, the last ``tail``."""
    n = patches.shape[0]
    fig = Figure(figsize=(8.0, 3.0))
    left, right = fig.subfigures(1, 2, width_ratios=[1, 2.2])
    ax = left.subplots()
    ax.imshow(image.permute(1, 2, 0).numpy())
    for k in range(0, 225, 16):
        ax.axhline(k - 0.5, color="white", linewidth=0.6)
        ax.axvline(k - 0.5, color="white", linewidth=0.6)
    ax.set(
        xticks=[],
        yticks=[],
        title=theme.text(
            ko="224×224 이미지, 16×16 픽셀 패치", en="224×224 image, 16×16 patches"
        ),
    )
    ax.grid(False)
    shown = [*range(head), None, *range(n - tail, n)]  # None: the patches left out
    axes = right.subplots(1, len(shown))
    right.subplots_adjust(wspace=0.15, left=0.02, right=0.98, bottom=0.35, top=0.65)
    for ax, index in zip(axes, shown, strict=True):
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
        if index is None:
            ax.axis("off")
            ax.text(
                0.5, 0.5, "…", ha="center", va="center", fontsize=16, color=theme.fg
            )
            continue
        ax.imshow(patches[index].permute(1, 2, 0).numpy())
        ax.set_xlabel(str(index), fontsize=8)
    right.suptitle(
        theme.text(
            ko=f"같은 이미지를 패치 {n}개의 시퀀스로 나타낸 모습 (행 우선 순서)",
            en=f"the same image as a sequence of {n} patches (row by row)",
        ),
        y=0.85,
        fontsize=10,
    )
    return fig


@values("vit-sizes", page="vit/architecture")
def sizes() -> dict:
    """Parameter counts of the published configurations, worked out from shapes."""
    return {
        re.sub(r"[^a-z0-9]+", "_", name.lower()): {
            "timm": timm_name,
            "parameters": config.num_parameters(),
            "embed_dim": config.embed_dim,
            "depth": config.depth,
            "heads": config.num_heads,
            "patch": config.patch_size,
            "mlp": config.mlp_hidden_dim,
        }
        for name, (timm_name, config) in PRESETS.items()
    }


@figure(
    "vit-pos-similarity", page="vit/architecture", needs=("vit-digits",), format="png"
)
def pos_similarity(themes, vit_digits):
    """Cosine similarity of each patch's position embedding with every other's, as in
    the ViT paper's figure 7 (centre): one small map per patch, laid out on the patch
    grid."""
    model, _ = digits.load_checkpoint(vit_digits["files"]["vit-digits.pt"])
    grid = model.config.grid_size
    similarity = position_similarity(model.pos_embed)  # (N, N)
    # [row, col] -> (grid, grid) map
    similarity = similarity.reshape(grid, grid, grid, grid)
    for theme in themes:
        yield _similarity_grid(theme, similarity, grid)


@values("vit-pos-structure", page="vit/architecture", needs=("vit-digits",))
def pos_structure(vit_digits) -> dict:
    """Does the digits model's position embedding know the 2-D layout? The mean cosine
    similarity of two patches' embeddings by their Manhattan distance on the grid, the
    same row against the same column, and how many patches have a direct neighbour as
    their most similar patch."""
    model, _ = digits.load_checkpoint(vit_digits["files"]["vit-digits.pt"])
    grid = model.config.grid_size
    return _layout(position_similarity(model.pos_embed).numpy(), grid)


@values(
    "vit-deit-pos-structure", page="vit/architecture", needs=("vit-deit-attention",)
)
def deit_pos_structure(vit_deit_attention) -> dict:
    """The same measures for DeiT-Tiny's pretrained position embeddings, when the build
    has its weights ({"available": False} otherwise)."""
    if not vit_deit_attention["available"]:
        return {"available": False}
    model, _ = load_deit_tiny()
    similarity = position_similarity(model.pos_embed).numpy()  # (196, 196)
    return {"available": True, **_layout(similarity, vit_deit_attention["grid"])}


@figure(
    "vit-deit-pos-similarity",
    page="vit/architecture",
    needs=("vit-deit-pos-structure",),
    format="png",
)
def deit_pos_similarity(themes, vit_deit_pos_structure):
    """DeiT-Tiny's position-embedding similarity: one small map per patch, laid out on
    the 14×14 patch grid as one mosaic. Without pretrained weights the figure says so in
    words (the page then shows its note instead)."""
    if not vit_deit_pos_structure["available"]:
        for theme in themes:
            yield no_weights_figure(theme, ko="그림을", en="plot")
        return
    model, _ = load_deit_tiny()
    grid = vit_deit_pos_structure["grid"]
    mosaic = similarity_mosaic(model.pos_embed, grid)
    for theme in themes:
        fig = Figure(figsize=(6.0, 5.2))
        ax = fig.subplots()
        image = ax.imshow(mosaic, cmap=theme.diverging, vmin=-1, vmax=1)
        centres = [r * (grid + 1) + (grid - 1) / 2 for r in range(grid)]
        ax.set(
            xticks=centres,
            xticklabels=[str(c + 1) for c in range(grid)],
            yticks=centres,
            yticklabels=[str(r + 1) for r in range(grid)],
            xlabel=theme.text(ko="입력 패치의 열", en="input patch column"),
            ylabel=theme.text(ko="입력 패치의 행", en="input patch row"),
        )
        ax.tick_params(length=0, labelsize="x-small")
        ax.grid(False)
        similarity_colorbar(fig, image, ax, theme)
        yield fig


def _layout(similarity: np.ndarray, grid: int) -> dict:
    """What a learned 2-D layout would show in an (N, N) similarity of position
    embeddings on a grid×grid patch grid: the mean similarity of two patches by their
    Manhattan distance, the same row against the same column, and how many patches have
    a direct neighbour as their most similar patch (and how many would by chance)."""
    rows, cols = np.divmod(np.arange(grid * grid), grid)  # (N,) each
    distance = np.abs(rows[:, None] - rows) + np.abs(cols[:, None] - cols)  # (N, N)
    others = ~np.eye(grid * grid, dtype=bool)
    by_distance = {
        f"d{d}": float(similarity[distance == d].mean())
        for d in range(1, 2 * (grid - 1) + 1)
    }
    same_row = (rows[:, None] == rows) & others
    same_col = (cols[:, None] == cols) & others
    nearest = np.where(others, similarity, -np.inf).argmax(1)  # (N,)
    pairs = {  # ordered pairs / 2: each pair of patches once
        f"d{d}": int((distance == d).sum()) // 2 for d in range(1, 2 * (grid - 1) + 1)
    }
    # if each patch's most similar patch were drawn at random from the others: the
    # expected number of patches for which it is a direct neighbour
    chance = float(((distance == 1).sum(1) / (grid * grid - 1)).sum())
    means = list(by_distance.values())
    return {
        "grid": grid,
        "by_distance": by_distance,
        "same_row": float(similarity[same_row].mean()),
        "same_col": float(similarity[same_col].mean()),
        "pairs": pairs,
        "chance_neighbour": chance,
        "nearest_is_neighbour": int(
            (distance[np.arange(grid * grid), nearest] == 1).sum()
        ),
        "patches": grid * grid,
        # what a learned 2-D layout would show: similarity falling with distance
        "falls_with_distance": all(
            a > b for a, b in zip(means, means[1:], strict=False)
        ),
    }


def _similarity_grid(theme, similarity, grid: int) -> Figure:
    fig = Figure(figsize=(5.6, 5.0))
    axes = fig.subplots(grid, grid)
    for r in range(grid):
        for c in range(grid):
            ax = axes[r, c]
            image = ax.imshow(
                similarity[r, c].numpy(), cmap=theme.diverging, vmin=-1, vmax=1
            )
            ax.set(xticks=[], yticks=[])
            ax.grid(False)
            if c == 0:
                ax.set_ylabel(str(r + 1), rotation=0, labelpad=8, va="center")
            if r == grid - 1:
                ax.set_xlabel(str(c + 1))
    fig.supxlabel(theme.text(ko="입력 패치의 열", en="input patch column"))
    fig.supylabel(theme.text(ko="입력 패치의 행", en="input patch row"))
    similarity_colorbar(fig, image, axes, theme)
    return fig
