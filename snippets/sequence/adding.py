"""The adding problem: a TCN, an LSTM and a GRU of about the same size, trained alike.

Each sample is a sequence of T steps with two channels: random values drawn uniformly
from [0, 1], and a marker channel that is 0 everywhere except for two 1s, one in each
half of the sequence. The target is the sum of the two marked values. The first marker
lies at least T/2 steps before the end, so a model has to carry it across half the
sequence.

Bai, Kolter & Koltun (2018), arXiv:1803.01271: the adding problem and its row of Table 1
(the task goes back to Hochreiter & Schmidhuber 1997). The paper's reference code draws
the two marked positions anywhere in the sequence; here they are drawn one per half, as
in Arjovsky, Shah & Bengio (2016), so that every sample needs a memory of at least T/2
steps.
The article /sequence/tcn/ shows the sections between the ``--8<--`` markers.
"""

from __future__ import annotations

# --8<-- [start:imports]
import contextlib
import time

import torch
from torch import nn

from snippets.sequence.tcn import TCN, check_input
from snippets.threads import torch_threads

# The experiment's configuration (see ``experiment``): about 27,000 parameters per
# model, and a budget meant to keep the three runs to a few minutes on one CPU core
# (the page states the time the build measured).
LENGTH = 200  # T
N_TRAIN, N_TEST = 20_000, 500
STEPS, BATCH_SIZE, LR, CLIP = 1_600, 32, 2e-3, 1.0
EVAL_EVERY = 100
TCN_CHANNELS, TCN_KERNEL = (22,) * 5, 6  # receptive field 1 + 2·5·31 = 311 ≥ T
LSTM_HIDDEN, GRU_HIDDEN = 80, 93
DATA_SEED, TEST_SEED, MODEL_SEED = 0, 1, 0
# --8<-- [end:imports]


# --8<-- [start:data]
def make_adding_data(
    n: int, length: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` samples of length ``length``: inputs (n, 2, length) as ``nn.Conv1d`` wants
    them (channel 0: values, channel 1: markers) and targets (n, 1)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if length < 2:
        raise ValueError(
            f"length must be at least 2 (one marker per half), got {length}"
        )
    generator = torch.Generator().manual_seed(seed)
    values = torch.rand(n, length, generator=generator)  # (n, T), uniform in [0, 1)
    half = length // 2
    first = torch.randint(0, half, (n,), generator=generator)  # (n,) in the first half
    second = torch.randint(half, length, (n,), generator=generator)  # (n,) second half
    markers = torch.zeros(n, length)  # (n, T)
    rows = torch.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack([values, markers], dim=1)  # 2 × (n, T) -> (n, 2, T)
    y = (values[rows, first] + values[rows, second])[:, None]  # (n,) -> (n, 1)
    return x, y


def constant_mse(y: torch.Tensor, prediction: float = 1.0) -> float:
    """The mean squared error of always predicting ``prediction``. For 1 (the mean of
    the sum of two uniform values) it estimates the sum's variance,
    2 · 1/12 = 1/6 ≈ 0.1667. (The paper quotes "about 0.1767" for this baseline.)"""
    return nn.functional.mse_loss(torch.full_like(y, prediction), y).item()


# --8<-- [end:data]


# --8<-- [start:recurrent]
class RecurrentRegressor(nn.Module):
    """An LSTM or a GRU over the sequence and a linear head on its last step.

    Takes the same (B, 2, T) input as the TCN and moves the time axis second for
    ``batch_first``.
    """

    CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}

    def __init__(
        self, cell: str, hidden: int, in_channels: int = 2, out_features: int = 1
    ):
        super().__init__()
        if cell not in self.CELLS:
            raise ValueError(f"cell must be one of {sorted(self.CELLS)}, got {cell!r}")
        self.in_channels = in_channels
        self.rnn = self.CELLS[cell](
            input_size=in_channels, hidden_size=hidden, batch_first=True
        )
        self.head = nn.Linear(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_channels)
        out, _ = self.rnn(x.transpose(1, 2))  # (B, 2, T) -> (B, T, 2) -> (B, T, hidden)
        return self.head(out[:, -1])  # (B, hidden) -> (B, 1)


# --8<-- [end:recurrent]


# --8<-- [start:models]
def make_models(seed: int = MODEL_SEED) -> dict[str, nn.Module]:
    """The three compared models, each initialised from the same seed."""
    builders = {
        "TCN": lambda: TCN(2, 1, TCN_CHANNELS, kernel_size=TCN_KERNEL),
        "LSTM": lambda: RecurrentRegressor("lstm", LSTM_HIDDEN),
        "GRU": lambda: RecurrentRegressor("gru", GRU_HIDDEN),
    }
    models = {}
    for name, build in builders.items():
        torch.manual_seed(seed)
        models[name] = build()
    return models


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def parameter_counts() -> dict[str, int]:
    """Trainable parameters of the three compared models."""
    return {name: parameter_count(model) for name, model in make_models().items()}


# --8<-- [end:models]


# --8<-- [start:train]
@contextlib.contextmanager
def flush_denormals():
    """Treat denormal (tiny, below ~1e-38) floats as zero on the CPU for the duration.

    Saturated LSTM and GRU gates produce them in the backward pass, and CPU arithmetic
    on them is many times slower: without this, an LSTM run here slows down about
    fivefold after a few hundred steps. The results change only below float precision.
    Restores the default (off).
    """
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500
) -> float:
    """Mean squared error over (x, y), in eval mode and without gradients,
    ``batch_size`` at a time."""
    model.eval()
    squared = 0.0
    with torch.no_grad():
        for xb, yb in zip(x.split(batch_size), y.split(batch_size), strict=True):
            squared += ((model(xb) - yb) ** 2).sum().item()
    return squared / len(y)


def train(
    model: nn.Module,
    train_data,
    test_data,
    *,
    steps: int,
    seed: int,
    batch_size: int = BATCH_SIZE,
    lr: float = LR,
    clip: float | None = CLIP,
    eval_every: int = EVAL_EVERY,
) -> dict:
    """Adam on mean squared error for ``steps`` mini-batches drawn in a seeded order.

    Returns the test MSE before training and every ``eval_every`` steps (``curve``, with
    the matching ``steps``), the final test MSE and the wall-clock seconds the whole run
    took.
    """
    if steps < 1 or eval_every < 1:
        raise ValueError(
            f"steps and eval_every must be at least 1, got {steps} and {eval_every}"
        )
    X, y = train_data
    X_test, y_test = test_data
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.randperm(len(X), generator=generator)
    position = 0
    curve_steps, curve = [0], [evaluate(model, X_test, y_test)]
    with flush_denormals():
        for step in range(1, steps + 1):
            if position + batch_size > len(X):  # a new epoch: reshuffle
                order, position = torch.randperm(len(X), generator=generator), 0
            idx = order[position : position + batch_size]
            position += batch_size
            model.train()
            loss = nn.functional.mse_loss(model(X[idx]), y[idx])  # (B, 1) vs (B, 1)
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            if step % eval_every == 0 or step == steps:
                curve_steps.append(step)
                curve.append(evaluate(model, X_test, y_test))
    return {
        "steps": curve_steps,
        "curve": curve,
        "final_mse": curve[-1],
        "seconds": time.perf_counter() - start,
    }


# --8<-- [end:train]


# --8<-- [start:experiment]
def experiment(length: int = LENGTH, steps: int = STEPS, threads: int = 1) -> dict:
    """Train the TCN, the LSTM and the GRU on the same data, in the same order, for the
    same number of steps; report each model's test-MSE curve, final MSE, seconds and
    size.

    One thread by default: these models are too small to gain from a second one. On a
    shared two-core machine two threads made a TCN step 4 to 25 times slower, and
    ``flush_denormals`` only reaches the calling thread.
    """
    receptive = make_models()["TCN"].receptive_field
    if not 2 <= length <= receptive:
        raise ValueError(
            "length must be between 2 and the TCN's receptive field "
            f"{receptive}, got {length}"
        )
    train_data = make_adding_data(N_TRAIN, length, seed=DATA_SEED)
    test_data = make_adding_data(N_TEST, length, seed=TEST_SEED)
    result = {
        "length": length,
        "steps": steps,
        "batch_size": BATCH_SIZE,
        "lr": LR,
        "clip": CLIP,
        "n_train": N_TRAIN,
        "n_test": N_TEST,
        "threads": threads,
        "baseline_mse": constant_mse(test_data[1]),  # always predict 1
        "models": {},
    }
    with torch_threads(threads):
        for name, model in make_models().items():
            run = train(model, train_data, test_data, steps=steps, seed=DATA_SEED)
            result["models"][name] = {"parameters": parameter_count(model), **run}
    return result


# --8<-- [end:experiment]
