"""The airline passengers series: loading, the train/test split, seasonal log
differences and their scaler fitted on the training part only, sliding windows, and the
baselines and metrics the LSTM is compared with.

Data: Box, Jenkins & Reinsel, *Time Series Analysis: Forecasting and Control*,
"Series G" (R's ``AirPassengers``): monthly international airline passengers, thousands,
1949-1960.
"""

from __future__ import annotations

import statistics

# --8<-- [start:load]
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

# shipped with the package
DATA = Path(str(resources.files("snippets") / "data" / "airline-passengers.csv"))
TRAIN_END, TEST_START = "1958-12", "1959-01"  # the last 24 months are the test period
SEASON = 12


def load_airline(path: str | Path = DATA) -> pd.Series:
    """Monthly passengers (thousands) indexed by a monthly ``PeriodIndex``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"airline passengers data not found: expected a CSV file at {path}"
        )
    frame = pd.read_csv(path)
    if list(frame.columns) != ["Month", "Passengers"]:
        raise ValueError(
            f"{path}: expected the columns ['Month', 'Passengers'], "
            f"got {list(frame.columns)}"
        )
    try:
        index = pd.PeriodIndex(pd.to_datetime(frame["Month"], format="%Y-%m"), freq="M")
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{path}: column Month must hold months written YYYY-MM ({exc})"
        ) from None
    values = pd.to_numeric(frame["Passengers"], errors="coerce")
    if values.isna().any() or (values <= 0).any():
        # +2: header, 1-based
        rows = [int(i) + 2 for i in frame.index[values.isna() | (values <= 0)]]
        raise ValueError(
            f"{path}: Passengers must be positive numbers; bad value on line(s) {rows}"
        )
    expected = pd.period_range(index.min(), index.max(), freq="M")
    if len(index) != len(expected) or not (index == expected).all():
        raise ValueError(
            f"{path}: months must be consecutive and in order, "
            f"from {expected[0]} to {expected[-1]}"
        )
    return pd.Series(values.to_numpy(dtype=float), index=index, name="passengers")


def split(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Train 1949-01..1958-12, test 1959-01..1960-12."""
    return series[:TRAIN_END], series[TEST_START:]


# --8<-- [end:load]


# --8<-- [start:prepare]
def seasonal_differences(series: pd.Series, m: int = SEASON) -> pd.Series:
    """z_t = log y_t − log y_{t−m}: the growth over the same month a year earlier. The
    log turns the multiplicative seasonality into an additive one; the difference
    removes it and the trend."""
    log = np.log(series)
    return (log - log.shift(m)).dropna()


def fit_scaler(train: pd.Series) -> StandardScaler:
    """A standard scaler of the seasonal log differences, fitted on the training
    part only."""
    return StandardScaler().fit(seasonal_differences(train).to_numpy()[:, None])


def undifference(
    log_history: np.ndarray, diffs: np.ndarray, m: int = SEASON
) -> np.ndarray:
    """Passengers from forecast differences: log y_t = log y_{t−m} + z_t, step by step,
    so a forecast more than ``m`` months ahead builds on earlier forecasts."""
    log = list(np.asarray(log_history, dtype=float))
    if len(log) < m:
        raise ValueError(
            f"undifference needs at least {m} months of history, got {len(log)}"
        )
    for z in np.asarray(diffs, dtype=float):
        log.append(log[-m] + z)
    return np.exp(np.array(log[len(log_history) :]))


# --8<-- [end:prepare]


# --8<-- [start:windows]
def make_windows(
    values: np.ndarray, lookback: int, horizon: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows: X[i] = values[i : i+lookback],
    Y[i] = values[i+lookback : i+lookback+horizon]."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"make_windows expects a 1-D series, got shape {values.shape}")
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    if not 1 <= lookback <= len(values) - horizon:
        raise ValueError(
            f"lookback must be between 1 and {len(values) - horizon} "
            f"for {len(values)} values and horizon {horizon}, got {lookback}"
        )
    # every run of lookback + horizon consecutive values: (N, lookback + horizon)
    both = np.lib.stride_tricks.sliding_window_view(values, lookback + horizon)
    X = both[:, :lookback].copy()  # (N, lookback)
    Y = both[:, lookback:].copy()  # (N, horizon)
    return X, Y


# --8<-- [end:windows]


# --- baselines: forecasts of the next `horizon` months from the training part ---------


# --8<-- [start:baselines]
def naive(train: pd.Series, horizon: int) -> np.ndarray:
    return np.full(horizon, train.iloc[-1])


def seasonal_naive(train: pd.Series, horizon: int, m: int = SEASON) -> np.ndarray:
    """The value of the same month in the last observed season."""
    last = train.to_numpy()[-m:]
    return np.array([last[h % m] for h in range(horizon)])


def seasonal_naive_drift(train: pd.Series, horizon: int, m: int = SEASON) -> np.ndarray:
    """Seasonal random walk with drift: y_t = y_{t-m} + c, c the mean of the seasonal
    differences of the training part; a forecast k seasons ahead adds k·c."""
    y = train.to_numpy()
    drift = np.mean(y[m:] - y[:-m])
    return np.array(
        [y[len(y) - m + h % m] + (h // m + 1) * drift for h in range(horizon)]
    )


def log_drift(train: pd.Series, horizon: int, m: int = SEASON) -> np.ndarray:
    """Constant growth: the same month a year earlier times the mean yearly growth
    factor of the training part, exp(mean seasonal log difference). The networks'
    inputs are these differences, so this is a network that always predicts the mean
    of what it was trained on."""
    log = np.log(train.to_numpy())
    growth = np.mean(log[m:] - log[:-m])
    steps = [log[len(log) - m + h % m] + (h // m + 1) * growth for h in range(horizon)]
    return np.exp(np.array(steps))


def sarima_airline(train: pd.Series, horizon: int) -> np.ndarray:
    """The classic airline model, SARIMA(0,1,1)(0,1,1)₁₂ on log passengers
    (statsmodels)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    model = SARIMAX(np.log(train), order=(0, 1, 1), seasonal_order=(0, 1, 1, SEASON))
    fit = model.fit(disp=False)
    return np.exp(fit.forecast(horizon).to_numpy())


def holt_winters(train: pd.Series, horizon: int) -> np.ndarray:
    """Holt-Winters with additive trend and multiplicative seasonality (statsmodels)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    fit = ExponentialSmoothing(
        train.to_numpy(), trend="add", seasonal="mul", seasonal_periods=SEASON
    ).fit()
    return fit.forecast(horizon)


# --8<-- [end:baselines]


# --8<-- [start:intervals]
def sarima_interval(train: pd.Series, horizon: int, level: float) -> np.ndarray:
    """The airline model's prediction interval, (2, horizon): lower and upper bounds.
    Exact for the model on the log scale (the state-space forecast variance), then
    turned back with exp."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    model = SARIMAX(np.log(train), order=(0, 1, 1), seasonal_order=(0, 1, 1, SEASON))
    fit = model.fit(disp=False)
    bounds = fit.get_forecast(horizon).conf_int(alpha=1 - level)  # (horizon, 2)
    return np.exp(bounds.to_numpy().T)


def holt_winters_interval(
    train: pd.Series, horizon: int, level: float, paths: int = 2000, seed: int = 0
) -> np.ndarray:
    """Holt-Winters' prediction interval, (2, horizon), by simulation: ``paths``
    futures with multiplicative errors, drawn with the spread of the relative fitting
    errors; the bounds are their quantiles."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    fit = ExponentialSmoothing(
        train.to_numpy(), trend="add", seasonal="mul", seasonal_periods=SEASON
    ).fit()
    # a RandomState, not an int: statsmodels 0.15 changes what an int seed means
    rng = np.random.RandomState(seed)
    futures = fit.simulate(horizon, repetitions=paths, error="mul", rng=rng)
    return np.quantile(futures, [(1 - level) / 2, (1 + level) / 2], axis=1)


# --8<-- [end:intervals]


# --- the same baselines one step ahead: each test month from the true months before it


def one_step_baselines(series: pd.Series) -> dict[str, np.ndarray]:
    """One-step-ahead forecasts of the test months. Parameters (drift, SARIMA and
    Holt-Winters coefficients) are estimated on the training part only; the test months
    only feed the recursions, as the true history the one-step evaluation allows."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    train, test = split(series)
    y, n, m = series.to_numpy(), len(train), SEASON
    t = np.arange(n, len(y))
    drift = np.mean(train.to_numpy()[m:] - train.to_numpy()[:-m])
    log_train = np.log(train.to_numpy())
    growth = np.mean(log_train[m:] - log_train[:-m])
    sarima = SARIMAX(
        np.log(train.to_numpy()), order=(0, 1, 1), seasonal_order=(0, 1, 1, m)
    ).fit(disp=False)
    # the same coefficients, filtered through the whole series
    sarima_all = sarima.apply(np.log(y))
    hw = ExponentialSmoothing(
        train.to_numpy(), trend="add", seasonal="mul", seasonal_periods=m
    ).fit()
    hw_all = ExponentialSmoothing(
        y,
        trend="add",
        seasonal="mul",
        seasonal_periods=m,
        initialization_method="known",
        initial_level=hw.params["initial_level"],
        initial_trend=hw.params["initial_trend"],
        initial_seasonal=hw.params["initial_seasons"],
    ).fit(
        smoothing_level=hw.params["smoothing_level"],
        smoothing_trend=hw.params["smoothing_trend"],
        smoothing_seasonal=hw.params["smoothing_seasonal"],
        optimized=False,
    )
    return {
        "naive": y[t - 1],
        "seasonal_naive": y[t - m],
        "seasonal_naive_drift": y[t - m] + drift,
        "log_drift": y[t - m] * np.exp(growth),
        "sarima": np.exp(sarima_all.fittedvalues[n:]),
        "holt_winters": hw_all.fittedvalues[n:],
    }


def seasonal_scale(train, m: int = SEASON) -> float:
    """MASE's denominator: the mean absolute error of the seasonal naive forecast one
    season ahead, in sample, over the training part."""
    y = np.asarray(train, dtype=float)
    if len(y) <= m:
        raise ValueError(f"expected more than {m} training months, got {len(y)}")
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def metrics(actual, forecast, scale: float | None = None) -> dict[str, float]:
    """RMSE, MAE and MAPE (%) of a forecast; with ``scale`` (see :func:`seasonal_scale`)
    also MASE, the MAE in units of that in-sample seasonal naive error."""
    actual = np.asarray(actual, dtype=float)
    forecast = np.asarray(forecast, dtype=float)
    if actual.shape != forecast.shape:
        raise ValueError(
            "actual and forecast must have the same shape, "
            f"got {actual.shape} and {forecast.shape}"
        )
    err = forecast - actual
    scores = {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "mape": float(100 * np.mean(np.abs(err) / np.abs(actual))),
    }
    if scale is not None:
        scores["mase"] = scores["mae"] / scale
    return scores


# every learned forecaster on this series is trained once per seed
SEEDS = (0, 1, 2, 3, 4)
# rolling forecast origins (time-series cross-validation): every method is fitted on the
# months up to each origin and forecasts the 24 after it, all before the test period
ORIGINS = ("1953-12", "1954-12", "1955-12", "1956-12")


def origin_scores(series: pd.Series, origin: str, forecasts) -> dict:
    """RMSE and MASE of 24-month forecasts made at ``origin``, one forecast per seed (or
    a single one): the median over the forecasts, and every forecast's RMSE."""
    train = series[:origin]
    actual = series[origin:].iloc[1:25]
    scale = seasonal_scale(train)
    scores = [metrics(actual, f, scale) for f in np.atleast_2d(forecasts)]
    return {
        "rmse": statistics.median(s["rmse"] for s in scores),
        "mase": statistics.median(s["mase"] for s in scores),
        "rmse_all": [s["rmse"] for s in scores],
    }


def seed_summary(per_seed: list[float]) -> dict:
    """Median, min, max over seeds, and the table cell "median (min–max)"."""
    median, low, high = statistics.median(per_seed), min(per_seed), max(per_seed)
    return {
        "median": median,
        "min": low,
        "max": high,
        "cell": f"{median:.1f} ({low:.1f}–{high:.1f})",
    }
