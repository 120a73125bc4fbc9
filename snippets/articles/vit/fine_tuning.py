"""The ViT fine-tuning article (/vit/fine-tuning/): its listings and build jobs.

The fine-tuning code (a model at another resolution, a new head, the training steps and
the two experiments) is the library module :mod:`snippets.vit.fine_tuning`. Here: the
runs whose output the page shows, the two experiments as build jobs (the resolution
change, whose 32×32 checkpoint the attention-map article reuses, and the head swap), and
the figures. Each output job's body is a listing on the page; it builds what it needs
itself, so the page's notebook runs it top to bottom.
"""

import copy
import dataclasses
import math
import time

import numpy as np
from matplotlib.figure import Figure

from snippets.build import figure, output, values
from snippets.vit import digits, fine_tuning
from snippets.vit.figures import similarity_colorbar, similarity_mosaic
from snippets.vit.fine_tuning import replace_head
from snippets.vit.model import (
    load_timm_state_dict,
    position_similarity,
    resample_pos_embed,
)

# isort: split
import torch
import torch.nn.functional as F

STEPS = 300  # fine-tuning steps of every run, batch 32
PRETRAIN_EPOCHS = 30  # on digits 0–4 for the head swap, as long as the digits model's
CHECKPOINTS = (0, 50, 100, 300)  # steps at which the page's tables show test accuracy


def summary(history: dict, checkpoints=CHECKPOINTS) -> dict:
    """Test accuracy at the table's steps (``at_0``, ``at_50``...) and at the end."""
    accuracy = dict(zip(history["step"], history["test_accuracy"], strict=True))
    missing = [step for step in checkpoints if step not in accuracy]
    if missing:
        raise ValueError(
            f"the table's steps {list(checkpoints)} must be evaluated steps; "
            f"{missing} are not among {history['step']}"
        )
    return {
        "history": history,
        **{f"at_{step}": accuracy[step] for step in checkpoints},
        "final": history["test_accuracy"][-1],
    }


def without_patch_positions(model):
    """A copy of ``model`` whose patch position embeddings are 0.

    The class token's row is kept.
    """
    blank = copy.deepcopy(model)
    with torch.no_grad():
        blank.pos_embed[:, 1:] = 0
    return blank.eval()


@values(
    "vit-finetune-resolution",
    page="vit/fine-tuning",
    needs=("vit-digits",),
    files=("vit-digits-32.pt",),
    quick={"steps": 4, "checkpoints": (0, 4)},
)
def resolution(outdir, vit_digits, steps=STEPS, checkpoints=CHECKPOINTS) -> dict:
    """16×16 → 32×32: resampled position embeddings, new ones, a model from scratch."""
    pretrained, _ = digits.load_checkpoint(vit_digits["files"]["vit-digits.pt"])
    img_size = 2 * pretrained.config.img_size
    _, (X16, y16) = digits.load_data(pretrained.config.img_size)
    (_, y32_train), (X32, y32) = digits.load_data(img_size)
    start = time.perf_counter()
    runs = fine_tuning.resolution_experiment(pretrained, img_size, steps=steps, seed=0)
    seconds = time.perf_counter() - start
    tuned = runs["resample"]["model"]
    digits.save_checkpoint(
        outdir / "vit-digits-32.pt",
        tuned,
        img_size=img_size,
        split_seed=0,
        seed=0,
        fine_tuned_from="vit-digits.pt",
        history=runs["resample"]["history"],
    )
    resampled = position_similarity(
        resample_pos_embed(pretrained.pos_embed, tuned.config.grid_size)
    )
    after = position_similarity(tuned.pos_embed)
    pair = torch.stack([resampled.flatten(), after.flatten()])
    blank_32 = without_patch_positions(fine_tuning.at_resolution(pretrained, img_size))
    before, bigger = pretrained.config, tuned.config
    return {
        # the pre-trained model on its own 16×16 input
        "native": digits.evaluate(pretrained, X16, y16),
        # no position information at all: patch position embeddings set to 0
        "no_pos": {
            "native": digits.evaluate(without_patch_positions(pretrained), X16, y16),
            "bigger": digits.evaluate(blank_32, X32, y32),
        },
        "runs": {
            name: summary(run["history"], checkpoints) for name, run in runs.items()
        },
        # how much fine-tuning changed the resampled embeddings' similarity structure
        "similarity_change": {
            "correlation": torch.corrcoef(pair)[0, 1].item(),
            "mean_abs": (after - resampled).abs().mean().item(),
        },
        "steps": steps,
        "seconds": seconds,
        "threads": torch.get_num_threads(),
        "before": {
            "img_size": before.img_size,
            "grid": before.grid_size,
            "tokens": 1 + before.num_patches,
            "pos_embed": pretrained.pos_embed.numel(),
        },
        "after": {
            "img_size": bigger.img_size,
            "grid": bigger.grid_size,
            "tokens": 1 + bigger.num_patches,
            "pos_embed": tuned.pos_embed.numel(),
        },
        "patch": before.patch_size,
        "n_train": len(y32_train),
    }


@values(
    "vit-finetune-head-swap",
    page="vit/fine-tuning",
    quick={"steps": 4, "pretrain_epochs": 1, "checkpoints": (0, 4)},
)
def head_swap(
    steps=STEPS, pretrain_epochs=PRETRAIN_EPOCHS, checkpoints=CHECKPOINTS
) -> dict:
    """Pre-train on digits 0–4, then learn 5–9: new zero-initialised head, linear probe,
    from scratch."""
    start = time.perf_counter()
    runs = fine_tuning.head_swap_experiment(
        pretrain_epochs=pretrain_epochs, steps=steps, seed=0
    )
    seconds = time.perf_counter() - start
    pretrain, linear_fit = runs.pop("pretrain"), runs.pop("linear_fit")
    swap, scratch = runs["swap"]["history"], runs["scratch"]["history"]
    pairs = zip(scratch["test_accuracy"], swap["test_accuracy"], strict=True)
    ahead = [s > w for s, w in pairs]
    # the first evaluated step from which training from scratch stays ahead of the head
    # swap (None: never)
    overtake = next(
        (step for i, step in enumerate(swap["step"]) if all(ahead[i:])), None
    )
    return {
        "pretrain": {
            "accuracy": pretrain["history"]["test_accuracy"][-1],
            "epochs": len(pretrain["history"]["train_loss"]),
            "n_train": pretrain["n_train"],
            "n_test": pretrain["n_test"],
        },
        "runs": {
            name: summary(run["history"], checkpoints) for name, run in runs.items()
        },
        "linear_fit": linear_fit["accuracy"],
        "n_train": runs["swap"]["n_train"],
        "n_test": runs["swap"]["n_test"],
        "scratch_ahead_from": overtake,
        "steps": steps,
        "seconds": seconds,
        "threads": torch.get_num_threads(),
    }


@output("vit-ft-no-resample", page="vit/fine-tuning", raises="StateDictMismatchError")
def no_resample():
    # --8<-- [start:no-resample]
    # a fresh model stands in for the trained one: only the shapes matter here
    model_16 = digits.make_model(digits.DIGITS_CONFIG)  # 16×16: 1 + 4·4 = 17 tokens
    config_32 = dataclasses.replace(digits.DIGITS_CONFIG, img_size=32)
    bigger = digits.make_model(config_32)  # 32×32: 1 + 8·8 = 65 tokens
    load_timm_state_dict(bigger, model_16.state_dict())  # no interpolate_pos_embed
    # --8<-- [end:no-resample]


@output("vit-ft-resample-timm", page="vit/fine-tuning")
def resample_timm():
    # --8<-- [start:resample-timm]
    from timm.layers import resample_abs_pos_embed

    model = digits.make_model(digits.DIGITS_CONFIG)
    pos_embed = model.pos_embed.detach()  # (1, 17, 64)
    ours = resample_pos_embed(pos_embed, new_grid=8, num_prefix_tokens=1)  # (1, 65, 64)
    theirs = resample_abs_pos_embed(pos_embed, new_size=(8, 8), num_prefix_tokens=1)
    print(
        "shapes:", tuple(pos_embed.shape), "->", tuple(ours.shape), tuple(theirs.shape)
    )
    print("max |ours - timm| =", (ours - theirs).abs().max().item())
    print("class token's row unchanged:", torch.equal(ours[:, 0], pos_embed[:, 0]))
    # --8<-- [end:resample-timm]


@output("vit-ft-zero-head", page="vit/fine-tuning")
def zero_head():
    # --8<-- [start:zero-head]
    model = digits.make_model(digits.DIGITS_CONFIG)
    model = replace_head(model, num_classes=5)  # a D × 5 layer of zeros
    (images, labels), _ = digits.load_data(img_size=16)
    images, labels = images[:64], labels[:64] % 5  # any five labels will do here
    logits = model.train()(images)
    loss = F.cross_entropy(logits, labels)
    print("largest |logit|:", logits.abs().max().item())
    print(f"loss {loss.item():.6f} = ln 5 = {math.log(5):.6f}")
    loss.backward()
    moved = [
        name
        for name, p in model.named_parameters()
        if p.grad is not None and p.grad.abs().max() > 0
    ]
    print(
        f"parameters with a non-zero gradient on the first step: {moved} "
        f"(of {len(list(model.parameters()))} tensors)"
    )
    # --8<-- [end:zero-head]


@figure(
    "vit-ft-pos-similarity",
    page="vit/fine-tuning",
    needs=("vit-digits", "vit-finetune-resolution"),
    format="png",
)
def pos_similarity(themes, vit_digits, vit_finetune_resolution):
    """Position-embedding similarity: learned on 4×4, resampled to 8×8, and after
    fine-tuning at 8×8."""
    pretrained, _ = digits.load_checkpoint(vit_digits["files"]["vit-digits.pt"])
    tuned, _ = digits.load_checkpoint(
        vit_finetune_resolution["files"]["vit-digits-32.pt"]
    )
    small, grid = pretrained.config.grid_size, tuned.config.grid_size
    mosaics = [
        similarity_mosaic(pretrained.pos_embed, small),
        similarity_mosaic(resample_pos_embed(pretrained.pos_embed, grid), grid),
        similarity_mosaic(tuned.pos_embed, grid),
    ]
    for theme in themes:
        native = pretrained.config.img_size
        titles = [
            theme.text(
                ko=f"{native}×{native}에서 학습\n{small}×{small} 격자",
                en=f"learned at {native}×{native}\n{small}×{small} grid",
            ),
            theme.text(
                ko=f"리샘플링 (바이큐빅)\n{grid}×{grid} 격자",
                en=f"resampled (bicubic)\n{grid}×{grid} grid",
            ),
            theme.text(
                ko=f"파인튜닝 뒤\n{grid}×{grid} 격자",
                en=f"after fine-tuning\n{grid}×{grid} grid",
            ),
        ]
        fig = Figure(figsize=(9.0, 3.6))
        axes = fig.subplots(1, 3)
        for ax, title, image in zip(axes, titles, mosaics, strict=True):
            shown = ax.imshow(
                image, cmap=theme.diverging, vmin=-1, vmax=1, interpolation="nearest"
            )
            ax.set_title(title)
            ax.set_axis_off()
        similarity_colorbar(fig, shown, axes, theme)
        yield fig


LABELS = {  # the legend of each condition, in every language of the site
    "resample": {"ko": "리샘플링한 위치 임베딩", "en": "resampled position embeddings"},
    "new_pos": {"ko": "새 위치 임베딩", "en": "new position embeddings"},
    "swap": {
        "ko": "0으로 초기화한 새 헤드, 전체 파인튜닝",
        "en": "new zero head, all fine-tuned",
    },
    "probe": {
        "ko": "0으로 초기화한 새 헤드, 몸통 고정 (선형 프로브)",
        "en": "new zero head, body frozen (probe)",
    },
    "scratch": {"ko": "처음부터 학습", "en": "from scratch"},
}


@figure(
    "vit-ft-curves",
    page="vit/fine-tuning",
    needs=("vit-finetune-resolution", "vit-finetune-head-swap"),
)
def curves(theme, vit_finetune_resolution, vit_finetune_head_swap) -> Figure:
    """Test accuracy against fine-tuning steps, for the resolution change and for the
    new classes."""
    fig = Figure(figsize=(8.4, 3.4))
    axes = fig.subplots(1, 2, sharey=True)
    results = [vit_finetune_resolution, vit_finetune_head_swap]
    titles = [
        theme.text(ko="16×16 → 32×32, 숫자 0–9", en="16×16 → 32×32, digits 0–9"),
        theme.text(ko="숫자 0–4 → 5–9, 16×16", en="digits 0–4 → 5–9, 16×16"),
    ]
    for ax, result, title in zip(axes, results, titles, strict=True):
        # a fixed order and colour per condition (values.json stores its keys sorted)
        for i, name in enumerate(name for name in LABELS if name in result["runs"]):
            history = result["runs"][name]["history"]
            colour = theme.colors[2] if name == "scratch" else theme.colors[i]
            ax.plot(
                history["step"],
                100 * np.array(history["test_accuracy"]),
                color=colour,
                label=theme.text(**LABELS[name]),
                marker="o",
                markersize=3,
            )
        if "linear_fit" in result:  # a reference: one linear fit on the frozen features
            ax.axhline(
                100 * result["linear_fit"],
                color=theme.muted,
                linestyle="--",
                linewidth=1,
                label=theme.text(
                    ko="수렴할 때까지 학습한 선형 헤드",
                    en="linear head fitted to convergence",
                ),
            )
        ax.set(
            xlabel=theme.text(ko="파인튜닝 스텝", en="fine-tuning step"),
            title=title,
            ylim=(0, 100),
        )
        ax.legend(loc="lower right", fontsize="small")
    axes[0].set_ylabel(theme.text(ko="테스트 정확도 (%)", en="test accuracy (%)"))
    fig.tight_layout()
    return fig
