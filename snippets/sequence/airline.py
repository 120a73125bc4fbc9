"""The airline passengers series: loading, the train/test split, scaling fitted on the
training part only, sliding windows, recursive forecasting, and the baselines and metrics
the LSTM is compared with.

Data: Box, Jenkins & Reinsel, *Time Series Analysis: Forecasting and Control*, "Series G"
(R's ``AirPassengers``): monthly international airline passengers, thousands, 1949-1960.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

DATA = Path(__file__).resolve().parent.parent / "data" / "airline-passengers.csv"
TRAIN_END, TEST_START = "1958-12", "1959-01"  # the last 24 months are the test period
SEASON = 12


def load_airline(path: str | Path = DATA) -> pd.Series:
    """Monthly passengers (thousands) indexed by a monthly ``PeriodIndex``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"airline passengers data not found: expected a CSV file at {path}")
    frame = pd.read_csv(path)
    if list(frame.columns) != ["Month", "Passengers"]:
        raise ValueError(f"{path}: expected the columns ['Month', 'Passengers'], got {list(frame.columns)}")
    try:
        index = pd.PeriodIndex(pd.to_datetime(frame["Month"], format="%Y-%m"), freq="M")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: column Month must hold months written YYYY-MM ({exc})") from None
    values = pd.to_numeric(frame["Passengers"], errors="coerce")
    if values.isna().any() or (values <= 0).any():
        rows = [int(i) + 2 for i in frame.index[values.isna() | (values <= 0)]]  # +2: header, 1-based
        raise ValueError(f"{path}: Passengers must be positive numbers; bad value on line(s) {rows}")
    expected = pd.period_range(index.min(), index.max(), freq="M")
    if len(index) != len(expected) or not (index == expected).all():
        raise ValueError(f"{path}: months must be consecutive and in order, from {expected[0]} to {expected[-1]}")
    return pd.Series(values.to_numpy(dtype=float), index=index, name="passengers")


def split(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Train 1949-01..1958-12, test 1959-01..1960-12."""
    return series[:TRAIN_END], series[TEST_START:]


def fit_scaler(train: pd.Series) -> StandardScaler:
    """A standard scaler of log passengers, fitted on the training part only."""
    return StandardScaler().fit(np.log(train.to_numpy())[:, None])


def make_windows(values: np.ndarray, lookback: int) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows: X[i] = values[i : i + lookback], y[i] = values[i + lookback]."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"make_windows expects a 1-D series, got shape {values.shape}")
    if not 1 <= lookback < len(values):
        raise ValueError(f"lookback must be between 1 and {len(values) - 1}, got {lookback}")
    X = np.lib.stride_tricks.sliding_window_view(values[:-1], lookback)  # (N, lookback)
    return X.copy(), values[lookback:].copy()


def recursive_forecast(predict_next: Callable[[np.ndarray], float], history: np.ndarray, horizon: int,
                       lookback: int) -> np.ndarray:
    """Forecast ``horizon`` steps, feeding each prediction back in as the newest input."""
    window = list(np.asarray(history, dtype=float)[-lookback:])
    if len(window) != lookback:
        raise ValueError(f"history must hold at least {lookback} values, got {len(history)}")
    out = []
    for _ in range(horizon):
        step = float(predict_next(np.array(window)))
        out.append(step)
        window = window[1:] + [step]
    return np.array(out)


# --- baselines: forecasts of the next `horizon` months from the training part ------------------


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
    return np.array([y[len(y) - m + h % m] + (h // m + 1) * drift for h in range(horizon)])


def sarima_airline(train: pd.Series, horizon: int) -> np.ndarray:
    """The classic airline model, SARIMA(0,1,1)(0,1,1)₁₂ on log passengers (statsmodels)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    fit = SARIMAX(np.log(train), order=(0, 1, 1), seasonal_order=(0, 1, 1, SEASON)).fit(disp=False)
    return np.exp(fit.forecast(horizon).to_numpy())


def holt_winters(train: pd.Series, horizon: int) -> np.ndarray:
    """Holt-Winters with additive trend and multiplicative seasonality (statsmodels)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    fit = ExponentialSmoothing(train.to_numpy(), trend="add", seasonal="mul", seasonal_periods=SEASON).fit()
    return fit.forecast(horizon)


def metrics(actual, forecast) -> dict[str, float]:
    actual, forecast = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    if actual.shape != forecast.shape:
        raise ValueError(f"actual and forecast must have the same shape, got {actual.shape} and {forecast.shape}")
    err = forecast - actual
    return {"rmse": float(np.sqrt(np.mean(err**2))), "mae": float(np.mean(np.abs(err))),
            "mape": float(100 * np.mean(np.abs(err) / np.abs(actual)))}
