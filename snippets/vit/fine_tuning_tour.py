"""Listings, outputs and figures of /vit/fine-tuning/ (the training runs are in fine_tuning_runs.py).

Each output job's body is a listing on the page; it builds what it needs itself, so the page's
notebook runs it top to bottom.
"""

import dataclasses
import math

import numpy as np
from matplotlib.figure import Figure

from snippets.build import figure, output
from snippets.vit import digits
from snippets.vit.fine_tuning import replace_head
from snippets.vit.model import load_timm_state_dict, position_similarity, resample_pos_embed

# isort: split
import torch
import torch.nn.functional as F


@output("vit-ft-no-resample", page="vit/fine-tuning", raises="StateDictMismatchError")
def no_resample():
    # --8<-- [start:no-resample]
    pretrained = digits.make_model(digits.DIGITS_CONFIG)  # 16×16 input: 1 + 4·4 = 17 tokens
    bigger = digits.make_model(dataclasses.replace(digits.DIGITS_CONFIG, img_size=32))  # 1 + 8·8 = 65 tokens
    load_timm_state_dict(bigger, pretrained.state_dict())  # no interpolate_pos_embed=True
    # --8<-- [end:no-resample]


@output("vit-ft-resample-timm", page="vit/fine-tuning")
def resample_timm():
    # --8<-- [start:resample-timm]
    from timm.layers import resample_abs_pos_embed

    pos_embed = digits.make_model(digits.DIGITS_CONFIG).pos_embed.detach()  # (1, 17, 64)
    ours = resample_pos_embed(pos_embed, new_grid=8, num_prefix_tokens=1)  # (1, 65, 64)
    theirs = resample_abs_pos_embed(pos_embed, new_size=(8, 8), num_prefix_tokens=1)
    print("shapes:", tuple(pos_embed.shape), "->", tuple(ours.shape), tuple(theirs.shape))
    print("max |ours - timm| =", (ours - theirs).abs().max().item())
    print("class token's row unchanged:", torch.equal(ours[:, 0], pos_embed[:, 0]))
    # --8<-- [end:resample-timm]


@output("vit-ft-zero-head", page="vit/fine-tuning")
def zero_head():
    # --8<-- [start:zero-head]
    model = replace_head(digits.make_model(digits.DIGITS_CONFIG), num_classes=5)  # a D × 5 layer of zeros
    (images, labels), _ = digits.load_data(img_size=16)
    images, labels = images[:64], labels[:64] % 5  # any five labels will do here
    logits = model.train()(images)
    loss = F.cross_entropy(logits, labels)
    print("largest |logit|:", logits.abs().max().item())
    print(f"loss {loss.item():.6f} = ln 5 = {math.log(5):.6f}")
    loss.backward()
    moved = [name for name, p in model.named_parameters() if p.grad is not None and p.grad.abs().max() > 0]
    print(f"parameters with a non-zero gradient on the first step: {moved} "
          f"(of {len(list(model.parameters()))} tensors)")
    # --8<-- [end:zero-head]


def _mosaic(pos_embed: torch.Tensor, grid: int) -> np.ndarray:
    """Cosine similarities of the patch position embeddings as one image: a grid × grid map per patch,
    placed at the patch's own place on the grid, with a one-pixel gap between the maps (NaN: transparent,
    so the page's background shows through in both themes)."""
    similarity = position_similarity(pos_embed).reshape(grid, grid, grid, grid).numpy()  # [row, col] -> (g, g) map
    size = grid * (grid + 1) - 1
    image = np.full((size, size), np.nan)
    for r in range(grid):
        for c in range(grid):
            image[r * (grid + 1):r * (grid + 1) + grid, c * (grid + 1):c * (grid + 1) + grid] = similarity[r, c]
    return image


@figure("vit-ft-pos-similarity", page="vit/fine-tuning", needs=("vit-digits", "vit-finetune-resolution"),
        format="png")
def pos_similarity(theme, vit_digits, vit_finetune_resolution) -> Figure:
    """Position-embedding similarity: learned on 4×4, resampled to 8×8, and after fine-tuning at 8×8."""
    pretrained, _ = digits.load_checkpoint(vit_digits["files"]["vit-digits.pt"])
    tuned, _ = digits.load_checkpoint(vit_finetune_resolution["files"]["vit-digits-32.pt"])
    grid = tuned.config.grid_size
    panels = [
        (f"learned\n{pretrained.config.grid_size}×{pretrained.config.grid_size} grid",
         _mosaic(pretrained.pos_embed, pretrained.config.grid_size)),
        (f"resampled (bicubic)\n{grid}×{grid} grid", _mosaic(resample_pos_embed(pretrained.pos_embed, grid), grid)),
        (f"after fine-tuning\n{grid}×{grid} grid", _mosaic(tuned.pos_embed, grid)),
    ]
    fig = Figure(figsize=(9.0, 3.6))
    axes = fig.subplots(1, 3)
    for ax, (title, image) in zip(axes, panels, strict=True):
        shown = ax.imshow(image, cmap=theme.diverging, vmin=-1, vmax=1, interpolation="nearest")
        ax.set_title(title)
        ax.set_axis_off()
    fig.colorbar(shown, ax=axes, shrink=0.8, label="cosine similarity")
    return fig


LABELS = {"resample": "resampled position embeddings", "new_pos": "new position embeddings",
          "swap": "new zero head, all fine-tuned", "probe": "new zero head, body frozen (probe)",
          "scratch": "from scratch"}


@figure("vit-ft-curves", page="vit/fine-tuning", needs=("vit-finetune-resolution", "vit-finetune-head-swap"))
def curves(theme, vit_finetune_resolution, vit_finetune_head_swap) -> Figure:
    """Test accuracy against fine-tuning steps, for the resolution change and for the new classes."""
    fig = Figure(figsize=(8.4, 3.4))
    axes = fig.subplots(1, 2, sharey=True)
    panels = [(axes[0], vit_finetune_resolution, "16×16 → 32×32, digits 0–9"),
              (axes[1], vit_finetune_head_swap, "digits 0–4 → 5–9, 16×16")]
    for ax, result, title in panels:
        # a fixed order and colour per condition (values.json stores its keys sorted)
        for i, name in enumerate(name for name in LABELS if name in result["runs"]):
            history = result["runs"][name]["history"]
            colour = theme.colors[2] if name == "scratch" else theme.colors[i]
            ax.plot(history["step"], 100 * np.array(history["test_accuracy"]), color=colour,
                    label=LABELS[name], marker="o", markersize=3)
        if "linear_fit" in result:  # the frozen features' ceiling for a linear head
            ax.axhline(100 * result["linear_fit"], color=theme.muted, linestyle="--", linewidth=1,
                       label="linear head fitted to convergence")
        ax.set(xlabel="fine-tuning step", title=title, ylim=(0, 100))
        ax.legend(loc="lower right", fontsize="small")
    axes[0].set_ylabel("test accuracy (%)")
    fig.tight_layout()
    return fig
