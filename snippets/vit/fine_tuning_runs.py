"""The fine-tuning experiments of /vit/fine-tuning/, run once per change of their code.

Kept apart from the page's cheap listings and figures (snippets/vit/fine_tuning_tour.py): a job's
cache key covers its whole module, so editing a figure does not re-run the training.
"""

import time

from snippets.build import values
from snippets.vit import digits, fine_tuning
from snippets.vit.model import count_parameters

STEPS = 300  # fine-tuning steps of every run (batch 32: about 7 passes over the 1,347 training images)
CHECKPOINTS = (0, 50, 100, 300)  # steps at which the page's tables report the test accuracy


def summary(history: dict) -> dict:
    """Test accuracy at the table's steps (``at_0``, ``at_50``...), at the end and at its best."""
    accuracy = dict(zip(history["step"], history["test_accuracy"], strict=True))
    return {"history": history, **{f"at_{step}": accuracy[step] for step in CHECKPOINTS},
            "final": history["test_accuracy"][-1], "best": max(history["test_accuracy"])}


@values("vit-finetune-resolution", page="vit/fine-tuning", needs=("vit-digits",), files=("vit-digits-32.pt",))
def resolution(outdir, vit_digits) -> dict:
    """16×16 → 32×32: resampled position embeddings, new ones, and a model trained from scratch."""
    pretrained, _ = digits.load_checkpoint(vit_digits["files"]["vit-digits.pt"])
    _, (X16, y16) = digits.load_data(pretrained.config.img_size)
    start = time.perf_counter()
    runs = fine_tuning.resolution_experiment(pretrained, 32, steps=STEPS, seed=0)
    seconds = time.perf_counter() - start
    tuned = runs["resample"]["model"]
    digits.save_checkpoint(outdir / "vit-digits-32.pt", tuned, img_size=32, split_seed=0, seed=0,
                           fine_tuned_from="vit-digits.pt", history=runs["resample"]["history"])
    before, after = pretrained.config, tuned.config
    return {
        "native": digits.evaluate(pretrained, X16, y16),  # the pre-trained model on its own 16×16 input
        "runs": {name: summary(run["history"]) for name, run in runs.items()},
        "steps": STEPS, "seconds": seconds, "threads": 1,
        "before": {"img_size": before.img_size, "grid": before.grid_size, "tokens": 1 + before.num_patches,
                   "pos_embed": pretrained.pos_embed.numel()},
        "after": {"img_size": after.img_size, "grid": after.grid_size, "tokens": 1 + after.num_patches,
                  "pos_embed": tuned.pos_embed.numel()},
        "patch": before.patch_size, "parameters": count_parameters(tuned),
    }


@values("vit-finetune-head-swap", page="vit/fine-tuning")
def head_swap() -> dict:
    """Pre-train on digits 0–4, then learn 5–9: new zero-initialised head, linear probe, from scratch."""
    start = time.perf_counter()
    runs = fine_tuning.head_swap_experiment(steps=STEPS, seed=0)
    seconds = time.perf_counter() - start
    pretrain = runs.pop("pretrain")
    swap, scratch = runs["swap"]["history"], runs["scratch"]["history"]
    ahead = [s >= w for s, w in zip(scratch["test_accuracy"], swap["test_accuracy"], strict=True)]
    # the first evaluated step from which training from scratch stays level with or ahead of the head swap
    overtake = next((step for i, step in enumerate(swap["step"]) if all(ahead[i:])), None)
    return {
        "pretrain": {"accuracy": pretrain["history"]["test_accuracy"][-1],
                     "epochs": len(pretrain["history"]["train_loss"]),
                     "n_train": pretrain["n_train"], "n_test": pretrain["n_test"]},
        "runs": {name: summary(run["history"]) for name, run in runs.items()},
        "n_train": runs["swap"]["n_train"], "n_test": runs["swap"]["n_test"], "scratch_ahead_from": overtake,
        "steps": STEPS, "seconds": seconds, "threads": 1,
    }
