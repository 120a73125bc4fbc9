"""An LSTM that forecasts the airline series month by month, and its training loop.

The model sees the last ``lookback`` seasonal log differences (standardised with
training statistics) and predicts the next one. Training either scores one step ahead
from true windows (teacher forcing, ``horizon=1``) or rolls the model forward on its own
predictions for ``horizon`` months and scores the whole rollout (closed loop), which is
what the recursive forecast asks of it. The direct strategy instead gives the model one
output per month ahead and predicts all of them at once from one window.
"""

from __future__ import annotations

# --8<-- [start:imports]
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from snippets.sequence import airline
from snippets.threads import torch_threads

# --8<-- [end:imports]


# --8<-- [start:model]
class LSTMForecaster(nn.Module):
    """(batch, lookback, 1) windows -> (batch, outputs): the ``outputs`` months after
    each window (1 for a recursive forecaster, 24 for a direct one)."""

    def __init__(self, hidden: int = 16, layers: int = 1, outputs: int = 1):
        super().__init__()
        self.lstm = nn.LSTM(
            input_size=1, hidden_size=hidden, num_layers=layers, batch_first=True
        )
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or x.shape[-1] != 1:
            raise ValueError(
                f"expected input of shape (batch, lookback, 1), got {tuple(x.shape)}"
            )
        out, _ = self.lstm(x)  # (B, lookback, hidden): the state after every month
        # (B, outputs): read the state after the last month
        return self.head(out[:, -1])


def rollout(model: nn.Module, windows: torch.Tensor, horizon: int) -> torch.Tensor:
    """Predict ``horizon`` months ahead, each prediction fed back as the newest month.

    windows: (B, lookback) -> (B, horizon)."""
    outputs = []
    for _ in range(horizon):
        step = model(windows[..., None])  # (B, lookback, 1) -> (B, 1)
        outputs.append(step)
        # drop the oldest month, append the forecast
        windows = torch.cat([windows[:, 1:], step], dim=1)  # (B, lookback)
    return torch.cat(outputs, dim=1)  # (B, horizon)


def direct(model: nn.Module, windows: torch.Tensor, horizon: int) -> torch.Tensor:
    """Predict all ``horizon`` months at once; nothing is fed back.

    windows: (B, lookback) -> (B, horizon)."""
    out = model(windows[..., None])  # (B, lookback, 1) -> (B, outputs)
    if out.shape[1] != horizon:
        raise ValueError(
            f"a direct forecast of {horizon} months needs a model with {horizon} "
            f"outputs, got {out.shape[1]}"
        )
    return out


# --8<-- [end:model]


# --8<-- [start:train]
@torch_threads(1)  # a 16-unit LSTM is far too small to split across threads
def train(
    model: nn.Module,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    epochs: int,
    seed: int,
    lr: float = 1e-2,
    weight_decay: float = 1e-2,
    batch_size: int = 16,
    forecast=rollout,
) -> list[float]:
    """AdamW on the mean squared error of ``forecast(model, X, Y.shape[1])`` against Y.

    With ``rollout``, Y with one column is teacher forcing and more columns train the
    closed loop; ``direct`` trains one output per column.
    Returns the mean training loss of every epoch."""
    X = torch.tensor(X, dtype=torch.float32)  # (N, lookback)
    Y = torch.tensor(Y, dtype=torch.float32)  # (N, horizon)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    losses = []
    for _ in range(epochs):
        model.train()
        total = 0.0
        for idx in torch.randperm(len(X), generator=generator).split(batch_size):
            loss = nn.functional.mse_loss(forecast(model, X[idx], Y.shape[1]), Y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / len(X))
    return losses


# --8<-- [end:train]


# --8<-- [start:fit]
EPOCHS = 60  # training epochs of every forecaster on the airline series


@torch_threads(1)
def fit_and_forecast(
    series: pd.Series,
    *,
    seed: int,
    train_end: str = airline.TRAIN_END,
    test_months: int = 24,
    horizon: int = 1,
    lookback: int = 12,
    hidden: int = 16,
    epochs: int = EPOCHS,
    lr: float = 1e-2,
    make_model=None,
    strategy: str = "recursive",
) -> dict:
    """Train on the months up to ``train_end``; forecast the next ``test_months`` months
    twice: one step ahead (true history fed back) and recursively (the model's own
    forecasts fed back). Both forecasts are in passengers.

    ``strategy="direct"`` trains a model with ``test_months`` outputs instead and
    returns its single forecast of all of them, ``"direct"``."""
    if strategy not in ("recursive", "direct"):
        raise ValueError(f"strategy must be 'recursive' or 'direct', got {strategy!r}")
    series = series[: pd.Period(train_end, "M") + test_months]
    train_part = series[:train_end]
    n = len(train_part)
    if len(series) != n + test_months:
        raise ValueError(
            f"expected {test_months} months after {train_end}, got {len(series) - n}"
        )
    scaler = airline.fit_scaler(train_part)  # training statistics only
    z = scaler.transform(airline.seasonal_differences(series).to_numpy()[:, None])[:, 0]
    n_z = n - airline.SEASON  # differences that fall in the training part
    if strategy == "direct":
        horizon = test_months
    # X: (N, lookback), Y: (N, horizon)
    X, Y = airline.make_windows(z[:n_z], lookback, horizon)

    torch.manual_seed(seed)
    # any (B, lookback, 1) -> (B, 1) model, or (B, test_months) for the direct one
    outputs = test_months if strategy == "direct" else 1
    model = make_model() if make_model else LSTMForecaster(hidden, outputs=outputs)
    forecast = direct if strategy == "direct" else rollout
    start = time.perf_counter()
    losses = train(model, X, Y, epochs=epochs, seed=seed, lr=lr, forecast=forecast)
    seconds = time.perf_counter() - start
    model.eval()

    def back(scaled):  # scaled differences -> differences of log passengers
        return scaler.inverse_transform(np.asarray(scaled)[:, None])[:, 0]

    log = np.log(series.to_numpy())
    last_window = torch.tensor(z[None, n_z - lookback : n_z], dtype=torch.float32)
    if strategy == "direct":
        with torch.no_grad():
            ahead = back(direct(model, last_window, test_months)[0].numpy())
        return {
            "direct": airline.undifference(log[:n], ahead),
            "losses": losses,
            "seconds": seconds,
        }
    with torch.no_grad():
        # the window before each test month: (test_months, lookback)
        true_windows = torch.tensor(
            np.stack([z[t - lookback : t] for t in range(n_z, len(z))]),
            dtype=torch.float32,
        )
        # one step ahead: each test month from the true months before it
        one_step = back(model(true_windows[..., None])[:, 0].numpy())
        # recursive: every test month from the last train window
        recursive = back(rollout(model, last_window, test_months)[0].numpy())
    return {
        "one_step": np.exp(
            log[n - airline.SEASON : n - airline.SEASON + test_months] + one_step
        ),
        "recursive": airline.undifference(log[:n], recursive),
        "losses": losses,
        "seconds": seconds,
    }


# --8<-- [end:fit]
