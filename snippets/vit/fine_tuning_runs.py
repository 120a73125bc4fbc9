"""The fine-tuning experiments of /vit/fine-tuning/, run once per change of their code.

Kept apart from the page's cheap listings and figures (snippets/vit/fine_tuning_tour.py): a job's
cache key covers its whole module, so editing a figure does not re-run the training.
"""

import copy
import time

import torch

from snippets.build import values
from snippets.vit import digits, fine_tuning
from snippets.vit.model import position_similarity, resample_pos_embed

STEPS = 300  # fine-tuning steps of every run, batch 32
PRETRAIN_EPOCHS = 30  # pre-training on digits 0–4 for the head swap, as long as the digits model's
CHECKPOINTS = (0, 50, 100, 300)  # steps at which the page's tables report the test accuracy


def summary(history: dict) -> dict:
    """Test accuracy at the table's steps (``at_0``, ``at_50``...) and at the end."""
    accuracy = dict(zip(history["step"], history["test_accuracy"], strict=True))
    missing = [step for step in CHECKPOINTS if step not in accuracy]
    if missing:
        raise ValueError(f"the table's steps {list(CHECKPOINTS)} must be evaluated steps; "
                         f"{missing} are not among {history['step']}")
    return {"history": history, **{f"at_{step}": accuracy[step] for step in CHECKPOINTS},
            "final": history["test_accuracy"][-1]}


def without_patch_positions(model):
    """A copy of ``model`` whose patch position embeddings are 0 (the class token's row kept)."""
    blank = copy.deepcopy(model)
    with torch.no_grad():
        blank.pos_embed[:, 1:] = 0
    return blank.eval()


@values("vit-finetune-resolution", page="vit/fine-tuning", needs=("vit-digits",), files=("vit-digits-32.pt",))
def resolution(outdir, vit_digits) -> dict:
    """16×16 → 32×32: resampled position embeddings, new ones, and a model trained from scratch."""
    pretrained, _ = digits.load_checkpoint(vit_digits["files"]["vit-digits.pt"])
    img_size = 2 * pretrained.config.img_size
    _, (X16, y16) = digits.load_data(pretrained.config.img_size)
    (_, y32_train), (X32, y32) = digits.load_data(img_size)
    start = time.perf_counter()
    runs = fine_tuning.resolution_experiment(pretrained, img_size, steps=STEPS, seed=0)
    seconds = time.perf_counter() - start
    tuned = runs["resample"]["model"]
    digits.save_checkpoint(outdir / "vit-digits-32.pt", tuned, img_size=img_size, split_seed=0, seed=0,
                           fine_tuned_from="vit-digits.pt", history=runs["resample"]["history"])
    resampled = position_similarity(resample_pos_embed(pretrained.pos_embed, tuned.config.grid_size))
    after = position_similarity(tuned.pos_embed)
    before, bigger = pretrained.config, tuned.config
    return {
        "native": digits.evaluate(pretrained, X16, y16),  # the pre-trained model on its own 16×16 input
        # no position information at all: patch position embeddings set to 0
        "no_pos": {"native": digits.evaluate(without_patch_positions(pretrained), X16, y16),
                   "bigger": digits.evaluate(without_patch_positions(fine_tuning.at_resolution(pretrained, img_size)),
                                             X32, y32)},
        "runs": {name: summary(run["history"]) for name, run in runs.items()},
        # how much fine-tuning changed the resampled position embeddings' similarity structure
        "similarity_change": {"correlation": torch.corrcoef(torch.stack([resampled.flatten(),
                                                                         after.flatten()]))[0, 1].item(),
                              "mean_abs": (after - resampled).abs().mean().item()},
        "steps": STEPS, "seconds": seconds, "threads": torch.get_num_threads(),
        "before": {"img_size": before.img_size, "grid": before.grid_size, "tokens": 1 + before.num_patches,
                   "pos_embed": pretrained.pos_embed.numel()},
        "after": {"img_size": bigger.img_size, "grid": bigger.grid_size, "tokens": 1 + bigger.num_patches,
                  "pos_embed": tuned.pos_embed.numel()},
        "patch": before.patch_size, "n_train": len(y32_train),
    }


@values("vit-finetune-head-swap", page="vit/fine-tuning")
def head_swap() -> dict:
    """Pre-train on digits 0–4, then learn 5–9: new zero-initialised head, linear probe, from scratch."""
    start = time.perf_counter()
    runs = fine_tuning.head_swap_experiment(pretrain_epochs=PRETRAIN_EPOCHS, steps=STEPS, seed=0)
    seconds = time.perf_counter() - start
    pretrain, linear_fit = runs.pop("pretrain"), runs.pop("linear_fit")
    swap, scratch = runs["swap"]["history"], runs["scratch"]["history"]
    ahead = [s > w for s, w in zip(scratch["test_accuracy"], swap["test_accuracy"], strict=True)]
    # the first evaluated step from which training from scratch stays ahead of the head swap (None: never)
    overtake = next((step for i, step in enumerate(swap["step"]) if all(ahead[i:])), None)
    return {
        "pretrain": {"accuracy": pretrain["history"]["test_accuracy"][-1],
                     "epochs": len(pretrain["history"]["train_loss"]),
                     "n_train": pretrain["n_train"], "n_test": pretrain["n_test"]},
        "runs": {name: summary(run["history"]) for name, run in runs.items()},
        "linear_fit": linear_fit["accuracy"],
        "n_train": runs["swap"]["n_train"], "n_test": runs["swap"]["n_test"], "scratch_ahead_from": overtake,
        "steps": STEPS, "seconds": seconds, "threads": torch.get_num_threads(),
    }
