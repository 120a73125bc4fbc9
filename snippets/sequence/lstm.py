"""An LSTM that forecasts the next month of the airline series from the last ``lookback``
months (log passengers, standardised with training statistics), and its training loop.

Work in progress for /sequence/lstm-airline/ (issue 5): the article is not written yet.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from snippets.sequence import airline


class LSTMForecaster(nn.Module):
    def __init__(self, hidden: int = 32, layers: int = 1):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or x.shape[-1] != 1:
            raise ValueError(f"expected input of shape (batch, lookback, 1), got {tuple(x.shape)}")
        out, _ = self.lstm(x)  # (B, T, hidden)
        return self.head(out[:, -1])  # (B, 1): the month after the window


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, *, epochs: int, seed: int, lr: float = 1e-2,
          batch_size: int = 16) -> list[float]:
    """Adam on mean squared error; returns the mean training loss of every epoch."""
    Xt = torch.tensor(X, dtype=torch.float32)[..., None]  # (N, lookback, 1)
    yt = torch.tensor(y, dtype=torch.float32)[:, None]  # (N, 1)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(len(Xt), generator=generator).split(batch_size):
            loss = nn.functional.mse_loss(model(Xt[idx]), yt[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / len(Xt))
    return losses


def fit_and_forecast(series, *, seed: int, lookback: int = 12, epochs: int = 150, hidden: int = 32):
    """Train on the training part; return (one-step-ahead, recursive) forecasts of the test part,
    in passengers, and the training losses."""
    train_part, test_part = airline.split(series)
    scaler = airline.fit_scaler(train_part)
    scaled = scaler.transform(np.log(series.to_numpy())[:, None])[:, 0]
    n_train = len(train_part)
    X, y = airline.make_windows(scaled[:n_train], lookback)
    torch.manual_seed(seed)
    model = LSTMForecaster(hidden)
    losses = train(model, X, y, epochs=epochs, seed=seed)
    model.eval()

    def predict_next(window: np.ndarray) -> float:
        with torch.no_grad():
            return model(torch.tensor(window, dtype=torch.float32)[None, :, None]).item()

    def back(values):
        return np.exp(scaler.inverse_transform(np.asarray(values)[:, None])[:, 0])

    one_step = [predict_next(scaled[t - lookback:t]) for t in range(n_train, len(series))]  # true history
    recursive = airline.recursive_forecast(predict_next, scaled[:n_train], len(test_part), lookback)
    return back(one_step), back(recursive), losses
