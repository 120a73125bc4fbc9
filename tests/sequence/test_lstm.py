"""The airline LSTM: shapes, errors, the rollout that feeds predictions back, a seeded run that learns."""

import numpy as np
import pytest
import torch
from torch import nn

from snippets.sequence import airline, lstm


def test_forecaster_shapes_and_bad_input():
    model = lstm.LSTMForecaster(hidden=8)
    assert model(torch.zeros(5, 12, 1)).shape == (5, 1)
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, lookback, 1\), got \(5, 12\)"):
        model(torch.zeros(5, 12))


class FirstPlusLast(nn.Module):
    """A stand-in model whose next value depends on both ends of the window."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):  # (B, lookback, 1) -> (B, 1)
        self.seen.append(x[..., 0].tolist())
        return x[:, 0] + x[:, -1]


def test_rollout_feeds_its_own_predictions_back():
    model = FirstPlusLast()
    out = lstm.rollout(model, torch.tensor([[1.0, 2.0]]), horizon=3)
    assert model.seen == [[[1, 2]], [[2, 3]], [[3, 5]]]  # each forecast becomes the newest input
    assert out.tolist() == [[3, 5, 8]]


def test_teacher_forcing_and_closed_loop_see_different_inputs():
    """One-step forecasts use the true windows; the recursive one only the last training window."""
    series = airline.load_airline()
    result = lstm.fit_and_forecast(series, seed=0, epochs=2, hidden=4)
    changed = series.copy()
    changed["1959-06"] *= 1.5  # a change inside the test period
    again = lstm.fit_and_forecast(changed, seed=0, epochs=2, hidden=4)
    np.testing.assert_array_equal(result["recursive"], again["recursive"])  # never sees test months
    assert (result["one_step"][:6] == again["one_step"][:6]).all()  # months up to 1959-06 unaffected
    assert (result["one_step"][6:] != again["one_step"][6:]).any()  # later months see the true 1959-06


def test_short_seeded_training_run_lowers_the_loss_and_repeats():
    train_part, _ = airline.split(airline.load_airline())
    z = airline.fit_scaler(train_part).transform(airline.seasonal_differences(train_part).to_numpy()[:, None])[:, 0]
    X, Y = airline.make_windows(z, 12)

    def run():
        torch.manual_seed(0)
        return lstm.train(lstm.LSTMForecaster(hidden=8), X, Y, epochs=15, seed=0)

    losses = run()
    assert losses[-1] < 0.8 * losses[0]
    assert run() == losses  # seeded: the same losses again


def test_closed_loop_training_scores_the_whole_rollout():
    train_part, _ = airline.split(airline.load_airline())
    z = airline.fit_scaler(train_part).transform(airline.seasonal_differences(train_part).to_numpy()[:, None])[:, 0]
    X, Y = airline.make_windows(z, 12, horizon=6)
    torch.manual_seed(0)
    model = lstm.LSTMForecaster(hidden=8)
    with torch.no_grad():
        before = nn.functional.mse_loss(lstm.rollout(model, torch.tensor(X, dtype=torch.float32), 6),
                                        torch.tensor(Y, dtype=torch.float32)).item()
    losses = lstm.train(model, X, Y, epochs=10, seed=0)
    assert losses[-1] < before


def test_fit_and_forecast_returns_both_horizons_in_passengers():
    torch.set_num_threads(2)
    result = lstm.fit_and_forecast(airline.load_airline(), seed=0, epochs=3, hidden=8, horizon=24)
    assert result["one_step"].shape == result["recursive"].shape == (24,)
    assert (result["one_step"] > 0).all() and (result["recursive"] > 0).all() and len(result["losses"]) == 3
    assert torch.get_num_threads() == 2  # restored after the one-thread run


def test_fit_and_forecast_needs_the_test_months():
    with pytest.raises(ValueError, match="expected 24 months after 1960-06, got 6"):
        lstm.fit_and_forecast(airline.load_airline(), seed=0, train_end="1960-06", epochs=1)


def test_direct_forecast_is_one_pass_with_one_output_per_month():
    model = lstm.LSTMForecaster(hidden=4, outputs=5)
    assert lstm.direct(model, torch.zeros(3, 12), horizon=5).shape == (3, 5)
    with pytest.raises(ValueError, match="a direct forecast of 24 months needs a model with 24 outputs, got 5"):
        lstm.direct(model, torch.zeros(3, 12), horizon=24)


def test_direct_strategy_trains_24_outputs_and_forecasts_in_passengers():
    result = lstm.fit_and_forecast(airline.load_airline(), seed=0, epochs=3, hidden=8, strategy="direct")
    assert set(result) == {"direct", "losses", "seconds"}  # no one-step forecast: nothing is fed back
    assert result["direct"].shape == (24,) and (result["direct"] > 0).all() and len(result["losses"]) == 3
    again = lstm.fit_and_forecast(airline.load_airline(), seed=0, epochs=3, hidden=8, strategy="direct")
    assert np.array_equal(result["direct"], again["direct"])  # seeded
    with pytest.raises(ValueError, match="strategy must be 'recursive' or 'direct', got 'mimo'"):
        lstm.fit_and_forecast(airline.load_airline(), seed=0, epochs=1, strategy="mimo")
