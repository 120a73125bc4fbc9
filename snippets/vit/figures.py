"""Figure parts shared by the ViT articles.

The position-embedding similarity mosaic (the ViT paper's figure 7, centre) and its
colour bar (/vit/architecture/, /vit/fine-tuning/), and the figure that stands in for a
DeiT-Tiny plot when the build has no weights (/vit/architecture/, /vit/attention-map/).
"""

import numpy as np
import torch
from matplotlib.figure import Figure

from snippets.vit.model import position_similarity


def similarity_mosaic(pos_embed: torch.Tensor, grid: int) -> np.ndarray:
    """Cosine similarities of the patch position embeddings as one image: a grid × grid
    map per patch, placed at the patch's own place on the grid, with a one-pixel gap
    between the maps (NaN: transparent, so the page's background shows through in both
    themes). ``pos_embed`` is (1, 1 + grid², D), the class token first."""
    if pos_embed.shape[1] != 1 + grid * grid:
        raise ValueError(
            f"expected position embeddings for a class token and a {grid}×{grid} grid, "
            f"shape (1, {1 + grid * grid}, D), got {tuple(pos_embed.shape)}"
        )
    # [row, col] -> (g, g) map
    similarity = position_similarity(pos_embed).reshape(grid, grid, grid, grid).numpy()
    size = grid * (grid + 1) - 1
    image = np.full((size, size), np.nan)
    for r in range(grid):
        for c in range(grid):
            top, left = r * (grid + 1), c * (grid + 1)
            image[top : top + grid, left : left + grid] = similarity[r, c]
    return image


def similarity_colorbar(fig: Figure, image, ax, theme) -> None:
    """The colour bar of a similarity figure: cosine similarity, -1 to 1."""
    fig.colorbar(
        image,
        ax=ax,
        shrink=0.8,
        label=theme.text(ko="코사인 유사도", en="cosine similarity"),
    )


def no_weights_figure(theme, ko: str, en: str) -> Figure:
    """A DeiT-Tiny figure without pretrained weights: a line that says so, no axes (a
    randomly initialised network's maps would mean nothing). ``ko``/``en``: what is not
    drawn ("맵을", "maps")."""
    fig = Figure(figsize=(6.0, 1.0))
    message = theme.text(
        ko=f"이 빌드에는 사전 학습한 DeiT-Tiny 가중치가 없어 {ko} 그리지 않았습니다.",
        en=f"No pretrained DeiT-Tiny weights in this build: no {en}.",
    )
    fig.text(0.5, 0.5, message, ha="center", va="center")
    return fig
