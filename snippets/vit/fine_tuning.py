"""Fine-tuning a pre-trained ViT: at higher resolution, and with a head for new classes.

The ViT paper (Dosovitskiy et al. 2021, section 3.2 and appendix B.1.1) pre-trains large
and fine-tunes small: the pre-training head is dropped for a zero-initialised D×K linear
layer, and fine-tuning often runs at a higher resolution with the patch size kept. The
sequence then grows, and the learned position embeddings are resampled to the larger
grid by 2-D interpolation.

Here the pre-trained model is the digits ViT of /vit/implementation/ (16×16 input, 4×4
patches). Every run is seeded (initialisation, batch order, shifts) and runs on one
thread at build time.
"""

# --8<-- [start:imports]
import copy
import dataclasses
import math  # noqa: F401  (the page uses it: resample_pos_embed, the zero-head check)
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from torch import nn

from snippets.vit import digits
from snippets.vit.model import VisionTransformer, load_timm_state_dict

# --8<-- [end:imports]


# --8<-- [start:at-resolution]
def at_resolution(
    model: VisionTransformer,
    img_size: int,
    *,
    pos_embed: str = "resample",
    seed: int = 0,
) -> VisionTransformer:
    """A copy of ``model`` for img_size × img_size input, with the same patch size and
    so a longer sequence.

    Every weight is copied except the position embeddings, which depend on the grid:
    ``pos_embed="resample"`` interpolates the learned grid to the new one, as the ViT
    paper does (bicubic here, as in DeiT and timm; the paper's code interpolates
    linearly); ``pos_embed="new"`` starts the patch positions from fresh random
    values (the class token keeps its row), which is what is left when the learned ones
    are not resampled.
    """
    if pos_embed not in ("resample", "new"):
        raise ValueError(f"pos_embed must be 'resample' or 'new', got {pos_embed!r}")
    # ValueError if not divisible by the patch
    config = dataclasses.replace(model.config, img_size=img_size)
    torch.manual_seed(seed)
    new = VisionTransformer(config)
    state = dict(model.state_dict())
    if pos_embed == "resample":
        # pos_embed: (1, 1 + g², D) -> (1, 1 + g'², D)
        load_timm_state_dict(new, state, interpolate_pos_embed=True)
    else:
        # truncated normal, std 0.02
        fresh = new.pos_embed.detach().clone()  # (1, 1 + g'², D)
        # the class token's row does not depend on the grid
        fresh[:, :1] = state["pos_embed"][:, :1]
        state["pos_embed"] = fresh
        load_timm_state_dict(new, state)
    return new.eval()


# --8<-- [end:at-resolution]


# --8<-- [start:new-head]
def replace_head(model: VisionTransformer, num_classes: int) -> VisionTransformer:
    """Drop the classifier and attach a zero-initialised D × K linear layer (ViT paper,
    section 3.2).

    With zero weights every logit is 0, so the model starts from the uniform prediction
    over the K new classes (cross-entropy ln K), whatever the pre-trained features are.
    """
    if num_classes < 1:
        raise ValueError(
            f"a new head needs at least one class, got num_classes={num_classes}"
        )
    head = nn.Linear(model.config.embed_dim, num_classes)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    model.head = head
    model.config = dataclasses.replace(model.config, num_classes=num_classes)
    return model


def subset_classes(data, classes: list[int]):
    """The images of the given classes, relabelled 0..len(classes)-1 in that order."""
    X, y = data
    present = set(y.unique().tolist())
    if len(set(classes)) != len(classes) or not set(classes) <= present:
        raise ValueError(
            f"classes must be distinct labels present in the data ({sorted(present)}), "
            f"got {list(classes)}"
        )
    keep = torch.isin(y, torch.tensor(classes))
    relabel = torch.full((int(y.max()) + 1,), -1, dtype=torch.long)
    relabel[torch.tensor(classes)] = torch.arange(len(classes))
    return X[keep], relabel[y[keep]]


# --8<-- [end:new-head]


# --8<-- [start:recipe]
@dataclass(frozen=True)
class Recipe:
    """How a run trains: optimiser, learning rate, regularisation, warm-up and gradient
    clipping."""

    optimizer: str  # "sgd" (momentum 0.9) or "adamw"
    lr: float  # peak learning rate, between a linear warm-up and a cosine decay to 0
    weight_decay: float = 0.0
    label_smoothing: float = 0.0
    warmup: float = 0.1  # fraction of the steps spent warming up
    clip_norm: float | None = 1.0  # global gradient norm to clip to (None: no clipping)
    batch_size: int = 32


# Fine-tuning as in the ViT paper's appendix B.1.1 and table 4 (SGD, momentum 0.9, no
# weight decay, clipping at norm 1, cosine decay), with 0.01 from the learning rates it
# tried on CIFAR.
FINE_TUNE = Recipe("sgd", lr=0.01)
# Training from scratch: the optimiser and settings the digits model was pre-trained
# with (/vit/implementation/: AdamW, no clipping), its warm-up and cosine spread over
# the run's steps.
FROM_SCRATCH = Recipe(
    "adamw", lr=2e-3, weight_decay=0.05, label_smoothing=0.1, clip_norm=None
)
# --8<-- [end:recipe]


# --8<-- [start:train-steps]
def make_optimizer(model: VisionTransformer, recipe: Recipe) -> torch.optim.Optimizer:
    """Only parameters that require gradients are trained (digits.param_groups)."""
    groups = digits.param_groups(model, recipe.weight_decay)
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=recipe.lr, momentum=0.9)
    if recipe.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=recipe.lr)
    raise ValueError(
        f"recipe.optimizer must be 'sgd' or 'adamw', got {recipe.optimizer!r}"
    )


def train_steps(
    model: VisionTransformer,
    train_data,
    test_data,
    recipe: Recipe,
    *,
    steps: int,
    eval_every: int = 25,
    seed: int = 0,
    max_shift: float = 1.0,
) -> dict[str, list]:
    """Train for a fixed number of steps; returns the test accuracy at step 0 and every
    ``eval_every`` steps.

    The history holds ``step``, ``test_accuracy`` (at those steps) and ``train_loss``
    (every step). Batches and random shifts come from a generator seeded with ``seed``;
    stochastic depth draws from the global generator, seeded too.
    """
    if steps < 1 or eval_every < 1:
        raise ValueError(
            "steps and eval_every must be at least 1, "
            f"got steps={steps}, eval_every={eval_every}"
        )
    X, y = train_data
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = make_optimizer(model, recipe)
    warmup = max(1, round(recipe.warmup * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, digits.warmup_cosine(warmup, steps)
    )
    history = {
        "step": [0],
        "test_accuracy": [digits.evaluate(model, *test_data)],
        "train_loss": [],
    }
    step = 0
    while step < steps:
        for idx in torch.randperm(len(X), generator=generator).split(recipe.batch_size):
            model.train()
            images = (
                digits.random_shift(X[idx], max_shift, generator)
                if max_shift
                else X[idx]
            )
            loss = F.cross_entropy(
                model(images), y[idx], label_smoothing=recipe.label_smoothing
            )
            optimizer.zero_grad()
            loss.backward()
            if recipe.clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip_norm)
            optimizer.step()
            schedule.step()
            step += 1
            history["train_loss"].append(loss.item())
            if step % eval_every == 0 or step == steps:
                history["step"].append(step)
                history["test_accuracy"].append(digits.evaluate(model, *test_data))
            if step == steps:
                break
    model.eval()
    return history


# --8<-- [end:train-steps]


# --8<-- [start:resolution-experiment]
def resolution_experiment(
    pretrained: VisionTransformer,
    img_size: int = 32,
    *,
    steps: int = 300,
    seed: int = 0,
) -> dict[str, dict]:
    """Fine-tune ``pretrained`` at img_size × img_size three ways; returns each run's
    history and model.

    ``resample``: position embeddings resampled by 2-D interpolation (FINE_TUNE).
    ``new_pos``: position embeddings started afresh, the rest pre-trained (FINE_TUNE).
    ``scratch``: a new model of the same shape, from random weights (FROM_SCRATCH).
    """
    # 8×8 digits upsampled to img_size × img_size
    train_data, test_data = digits.load_data(img_size)
    # the pre-training's 1-pixel shifts, scaled with the image
    max_shift = img_size / pretrained.config.img_size
    runs = {}
    recipes = {"resample": FINE_TUNE, "new_pos": FINE_TUNE, "scratch": FROM_SCRATCH}
    for name, recipe in recipes.items():
        if name == "scratch":
            model = digits.make_model(
                dataclasses.replace(pretrained.config, img_size=img_size), seed
            )
        else:
            pos_embed = "resample" if name == "resample" else "new"
            model = at_resolution(pretrained, img_size, pos_embed=pos_embed, seed=seed)
        history = train_steps(
            model,
            train_data,
            test_data,
            recipe,
            steps=steps,
            seed=seed,
            max_shift=max_shift,
        )
        runs[name] = {"history": history, "model": model}
    return runs


# --8<-- [end:resolution-experiment]


# --8<-- [start:head-swap-experiment]
def head_swap_experiment(
    *,
    old_classes=(0, 1, 2, 3, 4),
    new_classes=(5, 6, 7, 8, 9),
    pretrain_epochs: int = 30,
    steps: int = 300,
    seed: int = 0,
) -> dict[str, dict]:
    """Pre-train on ``old_classes``, then learn ``new_classes`` three ways; returns each
    run's history.

    ``swap``: pre-trained body, zero-initialised head, all fine-tuned (FINE_TUNE).
    ``probe``: the same, but only the new head is trained; the body is frozen and runs
    as in evaluation (no stochastic depth).
    ``scratch``: a new model trained on the new classes from scratch (FROM_SCRATCH).
    ``linear_fit``: for reference, the best a linear head on the frozen features can do:
    a logistic regression (scikit-learn) fitted to convergence on the class-token
    features.
    """
    if set(old_classes) & set(new_classes):
        raise ValueError(
            "old and new classes must not overlap, "
            f"got {list(old_classes)} and {list(new_classes)}"
        )
    train_data, test_data = digits.load_data(digits.DIGITS_CONFIG.img_size)
    old_train = subset_classes(train_data, list(old_classes))
    old_test = subset_classes(test_data, list(old_classes))
    new_train = subset_classes(train_data, list(new_classes))
    new_test = subset_classes(test_data, list(new_classes))
    pretrained = digits.make_model(
        dataclasses.replace(digits.DIGITS_CONFIG, num_classes=len(old_classes)), seed
    )
    pretrain = digits.train(
        pretrained, old_train, old_test, epochs=pretrain_epochs, seed=seed
    )
    runs = {
        "pretrain": {
            "history": pretrain,
            "n_train": len(old_train[1]),
            "n_test": len(old_test[1]),
        }
    }
    for name in ("swap", "probe", "scratch"):
        if name == "scratch":
            model = digits.make_model(
                dataclasses.replace(digits.DIGITS_CONFIG, num_classes=len(new_classes)),
                seed,
            )
            recipe = FROM_SCRATCH
        else:
            model = replace_head(copy.deepcopy(pretrained), len(new_classes))
            recipe = FINE_TUNE
        if name == "probe":
            for param_name, param in model.named_parameters():
                param.requires_grad_(param_name.startswith("head."))
            for module in model.modules():
                if hasattr(module, "drop_prob"):
                    module.drop_prob = 0.0  # a frozen body behaves as in evaluation
        history = train_steps(
            model, new_train, new_test, recipe, steps=steps, seed=seed
        )
        runs[name] = {
            "history": history,
            "n_train": len(new_train[1]),
            "n_test": len(new_test[1]),
        }
    with torch.no_grad():
        features = [
            pretrained.eval().forward_features(X)[:, 0].numpy()  # (n, D)
            for X, _ in (new_train, new_test)
        ]
    fit = LogisticRegression(max_iter=5000).fit(features[0], new_train[1].numpy())
    runs["linear_fit"] = {"accuracy": fit.score(features[1], new_test[1].numpy())}
    return runs


# --8<-- [end:head-swap-experiment]
