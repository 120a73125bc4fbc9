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


def test_seasonal_differences_and_their_inverse():
    series = a.load_airline()
    z = a.seasonal_differences(series)
    assert len(z) == 132 and str(z.index[0]) == "1950-01"
    assert z.iloc[0] == pytest.approx(np.log(115 / 112))  # 1950-01 over 1949-01
    log = np.log(series.to_numpy())
    # undoing the differences of the last 24 months from the first 120 gives the months back
    np.testing.assert_allclose(a.undifference(log[:120], z.to_numpy()[-24:]), series.to_numpy()[120:])
    with pytest.raises(ValueError, match="at least 12 months of history, got 5"):
        a.undifference(log[:5], [0.1])


def test_undifference_builds_on_its_own_forecasts_past_one_season():
    history = np.log(np.full(12, 100.0))
    out = a.undifference(history, np.full(24, np.log(1.1)))
    np.testing.assert_allclose(out[:12], 110.0)
    np.testing.assert_allclose(out[12:], 121.0)  # a second year of growth on the first year's forecast


def test_scaler_sees_the_training_part_only():
    series = a.load_airline()
    train, _ = a.split(series)
    scaler = a.fit_scaler(train)
    z_train = np.log(train.to_numpy())[12:] - np.log(train.to_numpy())[:-12]
    assert scaler.mean_[0] == pytest.approx(z_train.mean())
    assert scaler.scale_[0] == pytest.approx(z_train.std())  # population std, as sklearn
    # fitting on everything (the leak) gives other statistics: this test would catch it
    leaky = a.fit_scaler(series)
    assert abs(scaler.scale_[0] - leaky.scale_[0]) > 0.004 and abs(scaler.mean_[0] - leaky.mean_[0]) > 0.001


def test_changing_the_test_months_does_not_change_the_scaler():
    series = a.load_airline()
    doubled = series.copy()
    doubled["1959-01":] *= 2
    assert a.fit_scaler(a.split(series)[0]).mean_ == a.fit_scaler(a.split(doubled)[0]).mean_


def test_windows():
    X, y = a.make_windows(np.arange(10.0), lookback=3)
    assert X.shape == (7, 3) and y.shape == (7, 1)
    assert X[0].tolist() == [0, 1, 2] and y[0].tolist() == [3] and X[-1].tolist() == [6, 7, 8] and y[-1] == [9]
    X, Y = a.make_windows(np.arange(10.0), lookback=3, horizon=4)
    assert X.shape == (4, 3) and Y.shape == (4, 4) and Y[0].tolist() == [3, 4, 5, 6] and Y[-1].tolist() == [6, 7, 8, 9]
    with pytest.raises(ValueError, match="lookback must be between 1 and 9 for 10 values and horizon 1, got 10"):
        a.make_windows(np.arange(10.0), lookback=10)
    with pytest.raises(ValueError, match="horizon must be at least 1, got 0"):
        a.make_windows(np.arange(10.0), lookback=3, horizon=0)
    with pytest.raises(ValueError, match="expects a 1-D series"):
        a.make_windows(np.zeros((4, 2)), lookback=2)


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
        forecast = model(train, 24)
        assert forecast.shape == (24,)
        assert a.metrics(test, forecast)["mape"] < 12


def test_one_step_baselines_use_the_true_previous_months():
    series = a.load_airline()
    train, test = a.split(series)
    one_step = a.one_step_baselines(series)
    y = series.to_numpy()
    assert one_step["naive"].tolist() == y[119:143].tolist()
    assert one_step["seasonal_naive"].tolist() == y[108:132].tolist()
    # the first one-step forecast of every method is its first recursive forecast
    assert one_step["sarima"][0] == pytest.approx(a.sarima_airline(train, 1)[0], rel=1e-6)
    assert one_step["holt_winters"][0] == pytest.approx(a.holt_winters(train, 1)[0], rel=1e-6)
    assert one_step["seasonal_naive_drift"][0] == pytest.approx(a.seasonal_naive_drift(train, 1)[0])
    # one step ahead is easier than 24 months ahead for every method
    for name, method in (("sarima", a.sarima_airline), ("holt_winters", a.holt_winters)):
        assert a.metrics(test, one_step[name])["rmse"] < a.metrics(test, method(train, 24))["rmse"]


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.ConvergenceWarning")
def test_one_step_baselines_on_a_synthetic_seasonal_series():
    series = synthetic(years=12)
    series.index = a.load_airline().index  # the split is by date
    one_step = a.one_step_baselines(series)
    np.testing.assert_allclose(one_step["seasonal_naive"], series.to_numpy()[120:])
    np.testing.assert_allclose(one_step["seasonal_naive_drift"], series.to_numpy()[120:])  # drift 0


def test_metrics_known_values():
    m = a.metrics([100, 200], [110, 180])
    assert m["mae"] == 15 and m["rmse"] == pytest.approx(np.sqrt((100 + 400) / 2)) and m["mape"] == pytest.approx(10)
    with pytest.raises(ValueError, match="same shape"):
        a.metrics([1, 2], [1])


def test_log_drift_is_exact_on_constant_growth():
    """A series growing 10 % a year on a fixed seasonal pattern: log drift forecasts it exactly,
    two years ahead, and its one-step version is the same month a year earlier times the growth."""
    season = 100 + 20 * np.sin(np.arange(12) * 2 * np.pi / 12)
    values = np.concatenate([season * 1.1**year for year in range(5)])
    series = pd.Series(values, index=pd.period_range("2000-01", periods=60, freq="M"))
    np.testing.assert_allclose(a.log_drift(series[:36], 24), values[36:])
    airline = a.load_airline()
    train, _ = a.split(airline)
    growth = np.mean(np.diff(np.log(train.to_numpy()).reshape(-1, 12), axis=0))
    one_step = a.one_step_baselines(airline)["log_drift"]
    assert one_step[0] == pytest.approx(airline.iloc[len(train) - 12] * np.exp(growth))


def test_mase_scales_by_the_in_sample_seasonal_naive_error():
    train = np.array([10.0] * 12 + [12.0] * 12)  # every month 2 above the year before
    assert a.seasonal_scale(train) == 2
    m = a.metrics([20, 20], [21, 17], scale=a.seasonal_scale(train))
    assert m["mase"] == pytest.approx(2 / 2)  # MAE 2 over the scale 2
    assert "mase" not in a.metrics([20, 20], [21, 17])
    with pytest.raises(ValueError, match="more than 12 training months"):
        a.seasonal_scale(train[:12])


def test_origin_scores_take_the_median_over_seeds():
    series = a.load_airline()
    actual = series["1956-12":].iloc[1:25].to_numpy()
    forecasts = [actual + 10, actual - 20, actual + 30]  # RMSE 10, 20, 30
    scores = a.origin_scores(series, "1956-12", forecasts)
    assert scores["rmse_all"] == pytest.approx([10, 20, 30]) and scores["rmse"] == pytest.approx(20)
    single = a.origin_scores(series, "1956-12", actual)  # one forecast, not a list of seeds
    assert single["rmse"] == 0 and single["mase"] == 0


def test_prediction_intervals_hold_the_point_forecast_and_nest():
    train, _ = a.split(a.load_airline())
    for point, interval in ((a.sarima_airline, a.sarima_interval), (a.holt_winters, a.holt_winters_interval)):
        forecast = point(train, 24)
        low80, high80 = interval(train, 24, 0.80)
        low95, high95 = interval(train, 24, 0.95)
        assert low95.shape == high95.shape == (24,)
        assert (low95 <= low80).all() and (low80 < forecast).all() and (forecast < high80).all()
        assert (high80 <= high95).all()
        assert (high95 - low95)[-1] > (high95 - low95)[0]  # wider further ahead
    # simulated: seeded, so the same bounds again
    assert np.array_equal(a.holt_winters_interval(train, 6, 0.9), a.holt_winters_interval(train, 6, 0.9))
