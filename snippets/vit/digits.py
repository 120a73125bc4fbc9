"""A small ViT trained from scratch on scikit-learn's digits, and its checkpoint.

The 8×8 digit images are upsampled to 16×16 (bilinear) and cut into 4×4 patches, so the
model sees a 4×4 grid of 16 patch tokens plus the class token. Training is seeded
(initialisation, dropout and batch order) and fast enough to run at build time; the
checkpoint it saves is reused by the fine-tuning (32×32 input) and attention-map
articles.
"""

from __future__ import annotations

# --8<-- [start:imports]
import contextlib
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from snippets.threads import torch_threads
from snippets.vit.model import VisionTransformer, ViTConfig

# --8<-- [end:imports]

# --8<-- [start:config]
DIGITS_CONFIG = ViTConfig(
    img_size=16,  # 16×16 images
    patch_size=4,  # a 4×4 grid of 4×4 patches
    in_chans=1,
    num_classes=10,
    embed_dim=64,
    depth=4,
    num_heads=4,
    mlp_ratio=2.0,
    # stochastic depth: 1,347 training images are few for a transformer
    drop_path_rate=0.1,
)
EPOCHS = 30
# --8<-- [end:config]


# --8<-- [start:data]
def load_data(img_size: int = 16, split_seed: int = 0):
    """Digits as (N, 1, img_size, img_size) float images, 75 % train / 25 % test,
    stratified by class.

    Pixels are standardised with one mean and one standard deviation measured on the
    training images only.
    """
    X, y = load_digits(return_X_y=True)  # X: (1797, 64), pixel values 0..16
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=split_seed
    )
    mean, std = X_train.mean(), X_train.std()  # statistics of the training pixels only

    def tensors(X, y):
        images = torch.tensor((X - mean) / std, dtype=torch.float32)
        images = images.reshape(-1, 1, 8, 8)  # (n, 64) -> (n, 1, 8, 8)
        # (n, 1, 8, 8) -> (n, 1, img_size, img_size)
        images = F.interpolate(
            images, size=(img_size, img_size), mode="bilinear", align_corners=False
        )
        return images, torch.tensor(y)

    return tensors(X_train, y_train), tensors(X_test, y_test)


# --8<-- [end:data]


# --8<-- [start:model]
def make_model(config: ViTConfig = DIGITS_CONFIG, seed: int = 0) -> VisionTransformer:
    """A freshly initialised ViT; the seed fixes the initial weights."""
    torch.manual_seed(seed)
    return VisionTransformer(config)


# --8<-- [end:model]


# --8<-- [start:augment]
def random_shift(
    images: torch.Tensor, max_shift: float, generator: torch.Generator
) -> torch.Tensor:
    """Move every image by its own random offset of up to ``max_shift`` pixels in x and
    in y.

    Bilinear resampling with the border pixels (background) repeated. The only
    augmentation used: a transformer, unlike a CNN, is not built to ignore where in the
    image the digit sits.
    """
    n, C, H, W = images.shape
    u = torch.rand(n, 2, generator=generator)  # (n, 2), uniform in [0, 1)
    shift = (u * 2 - 1) * max_shift  # (n, 2): (x, y) in pixels
    # one affine map per image, in [-1, 1] grid coordinates
    theta = torch.zeros(n, 2, 3)  # (n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    theta[:, 0, 2] = shift[:, 0] * 2 / W
    theta[:, 1, 2] = shift[:, 1] * 2 / H
    # where each pixel reads from
    grid = F.affine_grid(theta, [n, C, H, W], align_corners=False)  # (n, H, W, 2)
    return F.grid_sample(
        images, grid, mode="bilinear", padding_mode="border", align_corners=False
    )


# --8<-- [end:augment]


# --8<-- [start:train]
@torch.no_grad()
def evaluate(
    model: VisionTransformer, X: torch.Tensor, y: torch.Tensor, batch_size: int = 512
) -> float:
    """Accuracy of ``model`` (in eval mode) on images X (n, C, H, W) with labels
    y (n,)."""
    model.eval()
    batches = zip(X.split(batch_size), y.split(batch_size), strict=True)
    correct = sum((model(xb).argmax(1) == yb).sum().item() for xb, yb in batches)
    return correct / len(y)


def param_groups(model: VisionTransformer, weight_decay: float) -> list[dict]:
    """The parameters that require gradients, in two optimiser groups: weight decay on
    the weight matrices, none on biases, norms and the embeddings named by
    ``model.no_weight_decay()``."""
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    skip = model.no_weight_decay()
    decay = [p for name, p in named if p.ndim > 1 and name not in skip]
    no_decay = [p for name, p in named if p.ndim <= 1 or name in skip]
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def warmup_cosine(warmup_steps: int, total_steps: int):
    """The learning-rate factor at each step: a linear warm-up, then a cosine decay to
    0 (for LambdaLR)."""
    return lambda step: min(
        (step + 1) / warmup_steps, 0.5 * (1 + math.cos(math.pi * step / total_steps))
    )


def train(
    model,
    train_data,
    test_data,
    *,
    epochs: int = EPOCHS,
    seed: int = 0,
    batch_size: int = 32,
    lr: float = 2e-3,
    weight_decay: float = 0.05,
    warmup_epochs: int = 3,
    label_smoothing: float = 0.1,
    max_shift: float = 1.0,
) -> dict[str, list[float]]:
    """AdamW with a linear warm-up and a cosine decay, label smoothing, random shifts;
    returns the history.

    The history holds ``train_loss`` (mean cross-entropy over the epoch's batches) and
    ``test_accuracy`` (after the epoch). The seed fixes the batch order and the shifts
    (its own generator) and the stochastic-depth draws (the global generator).
    """
    X, y = train_data
    X_test, y_test = test_data
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(param_groups(model, weight_decay), lr=lr)
    steps_per_epoch = -(-len(X) // batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        warmup_cosine(warmup_epochs * steps_per_epoch, epochs * steps_per_epoch),
    )
    history = {"train_loss": [], "test_accuracy": []}
    for _ in range(epochs):
        model.train()
        losses = []
        for idx in torch.randperm(len(X), generator=generator).split(batch_size):
            images = random_shift(X[idx], max_shift, generator) if max_shift else X[idx]
            loss = F.cross_entropy(
                model(images), y[idx], label_smoothing=label_smoothing
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
        history["train_loss"].append(sum(losses) / len(losses))
        history["test_accuracy"].append(evaluate(model, X_test, y_test))
    return history


# --8<-- [end:train]


def train_digits_vit(
    config: ViTConfig = DIGITS_CONFIG,
    *,
    epochs: int = EPOCHS,
    seed: int = 0,
    num_threads: int | None = None,
    **train_kwargs,
):
    """Load the data, build and train the model; returns (model in eval mode, history,
    training seconds).

    ``num_threads``, when given, sets torch's intra-op threads for the run and restores
    them afterwards (see snippets.threads: the model is so small that one thread is
    about as fast as two).
    """
    train_data, test_data = load_data(config.img_size)
    model = make_model(config, seed)
    threads = contextlib.nullcontext()
    if num_threads is not None:
        threads = torch_threads(num_threads)
    with threads:
        start = time.perf_counter()
        history = train(
            model, train_data, test_data, epochs=epochs, seed=seed, **train_kwargs
        )
        seconds = time.perf_counter() - start
    return model.eval(), history, seconds


# --8<-- [start:checkpoint]
def save_checkpoint(
    path: str | Path,
    model: VisionTransformer,
    config: ViTConfig | None = None,
    **metadata,
) -> Path:
    """Save the weights and the configuration (as a plain dict) with ``torch.save``;
    returns the path.

    ``metadata`` (plain Python values: the history, the data split...) is stored
    alongside.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = config or model.config
    torch.save(
        {
            "config": config.to_dict(),
            "state_dict": model.state_dict(),
            "metadata": metadata,
        },
        path,
    )
    return path


def load_checkpoint(path: str | Path) -> tuple[VisionTransformer, dict]:
    """Rebuild the model saved by ``save_checkpoint``; returns (model in eval mode,
    metadata)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no ViT checkpoint at {path}: "
            "train one and save it with save_checkpoint() first"
        )
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model = VisionTransformer(ViTConfig.from_dict(checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval(), checkpoint["metadata"]


# --8<-- [end:checkpoint]
