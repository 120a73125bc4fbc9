"""The ViT architecture article (/vit/architecture/): its listings and build jobs.

A real photo cut into 16×16 patches and laid out as the sequence a ViT reads
(scikit-image's ``chelsea``, which ships with the package), the parameter counts of the
published configurations, and the position-embedding similarity of the digits model
trained for /vit/implementation/ (job ``vit-digits``)."""

import re

import numpy as np
from matplotlib.figure import Figure

from snippets.build import figure, values
from snippets.vit import digits
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
        "grid": image.shape[-1] // 16,
        "values_per_patch": int(np.prod(patches.shape[1:])),
    }


@figure("vit-photo-patches-figure", page="vit/architecture", format="png")
def patches_figure(themes):
    image = photo()
    patches = to_patches(image)  # (196, 3, 16, 16)
    n, per_row = patches.shape[0], 28
    for theme in themes:
        yield _patches_drawing(theme, image, patches, n, per_row)


def _patches_drawing(theme, image, patches, n: int, per_row: int) -> Figure:
    fig = Figure(figsize=(8.0, 3.6))
    left, right = fig.subfigures(1, 2, width_ratios=[1, 1.9])
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
    # the sequence: patch i at row i // per_row, column i % per_row, with a 2-pixel gap
    rows = int(np.ceil(n / per_row))
    canvas = np.ones((rows * 18, per_row * 18, 3))
    for i, p in enumerate(patches.permute(0, 2, 3, 1).numpy()):
        r, c = divmod(i, per_row)
        canvas[r * 18 : r * 18 + 16, c * 18 : c * 18 + 16] = p
    alpha = np.ones(canvas.shape[:2])
    alpha[(canvas == 1).all(-1)] = 0  # gaps transparent, so the page background shows
    axr = right.subplots()
    axr.imshow(np.dstack([canvas, alpha]))
    axr.set_xticks(
        [c * 18 + 8 for c in range(0, per_row, 7)],
        [str(c) for c in range(0, per_row, 7)],
    )
    axr.set_yticks(
        [r * 18 + 8 for r in range(rows)], [str(r * per_row) for r in range(rows)]
    )
    axr.set(
        title=theme.text(
            ko=f"같은 이미지를 패치 {n}개의 시퀀스로 (행 우선 순서)",
            en=f"the same image as a sequence of {n} patches (raster order)",
        ),
        xlabel=theme.text(ko="+ 행 안에서의 위치", en="+ offset"),
        ylabel=theme.text(ko="행의 첫 패치 번호", en="patch index"),
    )
    axr.grid(False)
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


def _similarity_grid(theme, similarity, grid: int) -> Figure:
    fig = Figure(figsize=(4.8, 4.4))
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
                ax.set_ylabel(str(r + 1))
            if r == grid - 1:
                ax.set_xlabel(str(c + 1))
    fig.supxlabel(theme.text(ko="입력 패치의 열", en="input patch column"))
    fig.supylabel(theme.text(ko="입력 패치의 행", en="input patch row"))
    fig.colorbar(
        image,
        ax=axes,
        shrink=0.8,
        label=theme.text(ko="코사인 유사도", en="cosine similarity"),
    )
    return fig
