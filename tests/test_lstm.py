"""The airline LSTM (work in progress for issue 5): shapes, errors, a seeded run that learns."""

import numpy as np
import pytest
import torch

from snippets.sequence import airline, lstm


def test_forecaster_shapes_and_bad_input():
    model = lstm.LSTMForecaster(hidden=8)
    assert model(torch.zeros(5, 12, 1)).shape == (5, 1)
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, lookback, 1\), got \(5, 12\)"):
        model(torch.zeros(5, 12))


def test_short_seeded_training_run_lowers_the_loss_and_repeats():
    train_part, _ = airline.split(airline.load_airline())
    scaler = airline.fit_scaler(train_part)
    scaled = scaler.transform(np.log(train_part.to_numpy())[:, None])[:, 0]
    X, y = airline.make_windows(scaled, 12)

    def run():
        torch.manual_seed(0)
        return lstm.train(lstm.LSTMForecaster(hidden=8), X, y, epochs=15, seed=0)

    losses = run()
    assert losses[-1] < 0.5 * losses[0]
    assert run() == losses  # seeded: the same losses again


def test_fit_and_forecast_returns_both_horizons_in_passengers():
    one_step, recursive, losses = lstm.fit_and_forecast(airline.load_airline(), seed=0, epochs=5, hidden=8)
    assert one_step.shape == recursive.shape == (24,)
    assert (one_step > 0).all() and (recursive > 0).all() and len(losses) == 5
