"""The airline passengers data, split, scaling, windows, recursive forecasting and baselines."""

import numpy as np
import pandas as pd
import pytest

from snippets.sequence import airline as a


def test_loads_the_documented_series():
    s = a.load_airline()
    assert len(s) == 144 and str(s.index[0]) == "1949-01" and str(s.index[-1]) == "1960-12"
    assert (s.min(), str(s.idxmin()), s.max(), str(s.idxmax())) == (104, "1949-11", 622, "1960-07")
    assert s.sum() == 40363 and round(s.mean(), 2) == 280.30


@pytest.mark.parametrize("text, message", [
    ("Date,Passengers\n1949-01,112\n", r"expected the columns \['Month', 'Passengers'\]"),
    ("Month,Passengers\n1949-01,112\nJanuary,118\n", "column Month must hold months written YYYY-MM"),
    ("Month,Passengers\n1949-01,112\n1949-02,lots\n", r"bad value on line\(s\) \[3\]"),
    ("Month,Passengers\n1949-01,112\n1949-03,118\n", "months must be consecutive and in order"),
])
def test_malformed_files_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as err:
        a.load_airline(path)
    assert str(path) in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"expected a CSV file at .*nope\.csv"):
        a.load_airline(tmp_path / "nope.csv")


def test_split_is_ten_years_then_two():
    train, test = a.split(a.load_airline())
    assert (len(train), str(train.index[-1]), len(test), str(test.index[0])) == (120, "1958-12", 24, "1959-01")


def test_scaler_sees_the_training_part_only():
    series = a.load_airline()
    train, _ = a.split(series)
    scaler = a.fit_scaler(train)
    assert scaler.mean_[0] == pytest.approx(np.log(train).mean())
    assert scaler.scale_[0] == pytest.approx(np.log(train.to_numpy()).std())  # population std, as sklearn
    # fitting on everything (the leak) gives a different mean: this test would catch it
    assert abs(scaler.mean_[0] - np.log(series).mean()) > 0.05


def test_windows():
    X, y = a.make_windows(np.arange(10.0), lookback=3)
    assert X.shape == (7, 3) and y.shape == (7,)
    assert X[0].tolist() == [0, 1, 2] and y[0] == 3 and X[-1].tolist() == [6, 7, 8] and y[-1] == 9
    with pytest.raises(ValueError, match="lookback must be between 1 and 9, got 10"):
        a.make_windows(np.arange(10.0), lookback=10)
    with pytest.raises(ValueError, match="expects a 1-D series"):
        a.make_windows(np.zeros((4, 2)), lookback=2)


def test_recursive_forecast_feeds_predictions_back():
    seen = []

    def predict(window):
        seen.append(window.tolist())
        return window[-1] + window[0]  # depends on both ends of the window

    out = a.recursive_forecast(predict, np.array([1.0, 2.0, 3.0]), horizon=3, lookback=2)
    assert seen == [[2, 3], [3, 5], [5, 8]]
    assert out.tolist() == [5, 8, 13]
    with pytest.raises(ValueError, match="history must hold at least 4 values"):
        a.recursive_forecast(predict, np.array([1.0, 2.0]), horizon=1, lookback=4)


def synthetic(trend: float = 0.0, years: int = 4) -> pd.Series:
    season = np.array([5, 3, 8, 1, 9, 2, 7, 4, 6, 0, 5, 3], dtype=float) + 10
    values = np.tile(season, years) + trend * np.arange(12 * years)
    return pd.Series(values, index=pd.period_range("2000-01", periods=12 * years, freq="M"))


def test_seasonal_naive_is_exact_on_a_pure_seasonal_series():
    series = synthetic()
    train, test = series[:36], series[36:]
    assert a.metrics(test, a.seasonal_naive(train, 12)) == {"rmse": 0.0, "mae": 0.0, "mape": 0.0}


def test_seasonal_naive_with_drift_is_exact_on_trend_plus_season():
    series = synthetic(trend=0.5, years=5)
    train, test = series[:36], series[36:]
    np.testing.assert_allclose(a.seasonal_naive_drift(train, 24), test.to_numpy())
    assert a.metrics(test, a.seasonal_naive(train, 24))["mae"] > 1  # without drift it lags


def test_naive_repeats_the_last_value():
    assert a.naive(synthetic()[:30], 3).tolist() == [synthetic().iloc[29]] * 3


def test_statistical_baselines_forecast_the_test_period_reasonably():
    train, test = a.split(a.load_airline())
    for model in (a.sarima_airline, a.holt_winters):
        forecast = a.holt_winters(train, 24) if model is a.holt_winters else a.sarima_airline(train, 24)
        assert forecast.shape == (24,)
        assert a.metrics(test, forecast)["mape"] < 12


def test_metrics_known_values():
    m = a.metrics([100, 200], [110, 180])
    assert m["mae"] == 15 and m["rmse"] == pytest.approx(np.sqrt((100 + 400) / 2)) and m["mape"] == pytest.approx(10)
    with pytest.raises(ValueError, match="same shape"):
        a.metrics([1, 2], [1])
