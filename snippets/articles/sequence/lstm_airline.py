"""The LSTM forecasting article (/sequence/lstm-airline/): its listings and build jobs.

The data, baselines and metrics are :mod:`snippets.sequence.airline`, the model and its
training :mod:`snippets.sequence.lstm`.

The LSTM is trained with two objectives, one step ahead (teacher forcing) and a 24-month
closed loop; which one the article recommends is decided on validation years inside the
training period (train to 1956-12, validate on 1957-1958), never on the test years.
"""

import matplotlib.dates as mdates
import numpy as np
from matplotlib.figure import Figure

from snippets.build import figure, output, track, values
from snippets.sequence import airline, lstm
from snippets.sequence.airline import (
    SEEDS,
    fit_scaler,
    load_airline,
    make_windows,
    seasonal_differences,
    seed_summary,
    split,
)
from snippets.sequence.lstm import fit_and_forecast

# training horizon of each objective of the recursive LSTM, in months
OBJECTIVES = {"teacher": 1, "closed": 24}
# every LSTM forecaster the article trains: fit_and_forecast's arguments
VARIANTS = {
    "teacher": {"horizon": OBJECTIVES["teacher"]},
    "closed": {"horizon": OBJECTIVES["closed"]},
    "direct": {"strategy": "direct"},  # 24 outputs at once
}
KINDS = ("one_step", "recursive", "direct")  # the forecasts fit_and_forecast returns
LEVELS = {"p80": 0.80, "p95": 0.95}  # prediction interval levels
VALIDATION_END = "1956-12"  # validation: 1957-01..1958-12, the last two training years
BASELINES = {
    "naive": airline.naive,
    "seasonal_naive": airline.seasonal_naive,
    "seasonal_naive_drift": airline.seasonal_naive_drift,
    "log_drift": airline.log_drift,
    "sarima": airline.sarima_airline,
    "holt_winters": airline.holt_winters,
}
# every method's name in the tables, figures and sentences, in both languages
METHOD_NAMES = {
    "naive": {"ko": "나이브", "en": "naive"},
    "seasonal_naive": {"ko": "계절 나이브", "en": "seasonal naive"},
    "seasonal_naive_drift": {
        "ko": "드리프트를 더한 계절 나이브",
        "en": "seasonal naive + drift",
    },
    "log_drift": {"ko": "로그 드리프트", "en": "log drift"},
    "sarima": {"ko": "SARIMA 항공사 모델", "en": "SARIMA airline model"},
    "holt_winters": {"ko": "Holt-Winters", "en": "Holt-Winters"},
    "lstm": {"ko": "LSTM, 닫힌 루프", "en": "LSTM, closed loop"},
    "lstm_direct": {"ko": "LSTM, 직접 예측", "en": "LSTM, direct"},
    "tcn": {"ko": "TCN, 닫힌 루프", "en": "TCN, closed loop"},
}


@output(
    "lstm-airline-split",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
)
def show_split():
    # --8<-- [start:split]
    series = load_airline()
    train_part, test_part = split(series)
    print(
        f"train: {train_part.index[0]}..{train_part.index[-1]} "
        f"({len(train_part)} months)"
    )
    print(
        f"test:  {test_part.index[0]}..{test_part.index[-1]} ({len(test_part)} months)"
    )

    # what many tutorials do: min-max scale the passengers, fitted on every month
    from sklearn.preprocessing import MinMaxScaler

    levels, n = series.to_numpy()[:, None], len(train_part)
    for name, fitted_on in (("all months", levels), ("train only", levels[:n])):
        test_scaled = MinMaxScaler().fit(fitted_on).transform(levels[n:])
        print(
            f"min-max fitted on {name}: test months scaled to "
            f"{test_scaled.min():.2f}..{test_scaled.max():.2f}"
        )

    # what this article does: scale seasonal log differences with training statistics
    scaler = fit_scaler(train_part)  # right: training statistics only
    leaky = fit_scaler(series)  # wrong: the test years leak into the statistics
    print(f"mean, std fitted on train: {scaler.mean_[0]:.4f}, {scaler.scale_[0]:.4f}")
    print(f"mean, std fitted on all:   {leaky.mean_[0]:.4f}, {leaky.scale_[0]:.4f}")
    # --8<-- [end:split]


@output(
    "lstm-airline-windows",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
)
def show_windows():
    # --8<-- [start:show-windows]
    X, Y = make_windows(np.arange(8.0), lookback=3, horizon=2)
    print(X[:2].tolist(), "->", Y[:2].tolist())

    train_part, test_part = split(load_airline())
    # 1950-01..1958-12: the first year has no year before it
    z = seasonal_differences(train_part)
    print(len(z), "training differences")
    for horizon in (1, 24):
        X, Y = make_windows(z.to_numpy(), lookback=12, horizon=horizon)
        print(f"horizon {horizon:2d}: X {X.shape}, Y {Y.shape}")
    # --8<-- [end:show-windows]


@output(
    "lstm-airline-one-run-timing",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
)
def show_one_run():
    # --8<-- [start:one-run]
    series = load_airline()
    train_part, test_part = split(series)
    result = fit_and_forecast(series, seed=0, horizon=24)
    print(
        f"trained in {result['seconds']:.1f} s; "
        f"loss {result['losses'][0]:.3f} -> {result['losses'][-1]:.3f}"
    )
    for name in ("one_step", "recursive"):
        scores = airline.metrics(test_part, result[name])
        print(f"{name:>9}: " + ", ".join(f"{k} {v:.1f}" for k, v in scores.items()))
    # --8<-- [end:one-run]


@values(
    "lstm-airline-facts",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
)
def facts() -> dict:
    series = airline.load_airline()
    train_part, _ = airline.split(series)
    by_year = series.groupby(series.index.year)
    # passengers between a year's busiest and quietest month
    swing = by_year.max() - by_year.min()
    ratio = by_year.max() / by_year.min()
    from sklearn.preprocessing import MinMaxScaler

    good, leaky = airline.fit_scaler(train_part), airline.fit_scaler(series)
    levels, n = series.to_numpy()[:, None], len(train_part)
    honest = MinMaxScaler().fit(levels[:n]).transform(levels[n:])  # test, train scaler
    leaked = MinMaxScaler().fit(levels).transform(levels[:n])  # train, all-month scaler
    return {
        "months": len(series),
        "first": str(series.index[0]),
        "last": str(series.index[-1]),
        "min": float(series.min()),
        "max": float(series.max()),
        "growth": float(series["1960"].sum() / series["1949"].sum()),
        "swing_first": float(swing.iloc[0]),
        # the same swings in people, for languages that do not count in thousands
        "swing_first_people": int(round(1000 * swing.iloc[0])),
        "swing_last_people": int(round(1000 * swing.iloc[-1])),
        "swing_last": float(swing.iloc[-1]),
        "ratio_first": float(ratio.iloc[0]),
        "ratio_last": float(ratio.iloc[-1]),
        "train_max": float(train_part.max()),
        "test_max_scaled_train": float(honest.max()),
        "test_min_scaled_train": float(honest.min()),
        "train_max_scaled_all": float(leaked.max()),
        # test months above the largest training month
        "test_above_train_max": int((levels[n:] > levels[:n].max()).sum()),
        "test_above_months": ", ".join(
            str(month) for month in series.index[n:][levels[n:, 0] > levels[:n].max()]
        ),
        "test_months": len(series) - n,
        "mean_train": float(good.mean_[0]),
        "mean_all": float(leaky.mean_[0]),
        "mean_shift_pct": float(100 * (leaky.mean_[0] - good.mean_[0]) / good.mean_[0]),
    }


@values(
    "lstm-airline-baselines",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
)
def baselines() -> dict:
    series = airline.load_airline()
    train_part, test_part = airline.split(series)
    one_step = airline.one_step_baselines(series)
    result = {}
    for name, method in BASELINES.items():
        recursive = method(train_part, len(test_part))
        result[name] = {
            "recursive": airline.metrics(test_part, recursive),
            "one_step": airline.metrics(test_part, one_step[name]),
            "forecast": [float(v) for v in recursive],
        }
    result["best"] = min(BASELINES, key=lambda name: result[name]["recursive"]["rmse"])
    result["best_name"] = METHOD_NAMES[result["best"]]
    result["best_rmse"] = result[result["best"]]["recursive"]["rmse"]
    result["best_one_step_rmse"] = result[result["best"]]["one_step"]["rmse"]
    return result


def _runs(train_end: str, seeds=SEEDS, epochs=lstm.EPOCHS) -> dict:
    series = airline.load_airline()
    actual = series[train_end:].iloc[1:25].to_numpy()
    runs = {name: [] for name in VARIANTS}
    pairs = [(n, s) for n in VARIANTS for s in seeds]
    for name, seed in track(pairs, f"LSTM run (train to {train_end})"):
        out = lstm.fit_and_forecast(
            series, seed=seed, train_end=train_end, epochs=epochs, **VARIANTS[name]
        )
        kinds = [kind for kind in KINDS if kind in out]
        run = {
            "seed": seed,
            "seconds": out["seconds"],
            "losses": out["losses"],
            **{kind: [float(v) for v in out[kind]] for kind in kinds},
            "metrics": {kind: airline.metrics(actual, out[kind]) for kind in kinds},
        }
        runs[name].append(run)
    result = {}
    for name, per_seed in runs.items():
        result[name] = {
            "runs": per_seed,
            "seconds": seed_summary([r["seconds"] for r in per_seed]),
            **{
                kind: {
                    m: seed_summary([r["metrics"][kind][m] for r in per_seed])
                    for m in ("rmse", "mae", "mape")
                }
                for kind in per_seed[0]["metrics"]
            },
        }
    return result


@values(
    "lstm-airline-validation",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
    quick={"seeds": (0,), "epochs": 2},
)
def validation(seeds=SEEDS, epochs=lstm.EPOCHS) -> dict:
    """Both objectives trained to 1956-12 and scored on 1957-1958; the objective with
    the lower median recursive RMSE is the one the article recommends."""
    result = _runs(VALIDATION_END, seeds, epochs)
    result["chosen"] = min(
        OBJECTIVES, key=lambda name: result[name]["recursive"]["rmse"]["median"]
    )
    chosen = result[result["chosen"]]["recursive"]["rmse"]["median"]
    result["direct_better"] = result["direct"]["direct"]["rmse"]["median"] < chosen
    series = airline.load_airline()
    actual = series[VALIDATION_END:].iloc[1:25]
    for name in BASELINES:
        forecast = BASELINES[name](series[:VALIDATION_END], 24)
        result[f"{name}_rmse"] = airline.metrics(actual, forecast)["rmse"]
    return result


@values(
    "lstm-airline-runs",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
    needs=("lstm-airline-baselines",),
    quick={"seeds": (0,), "epochs": 2},
)
def final_runs(lstm_airline_baselines, seeds=SEEDS, epochs=lstm.EPOCHS) -> dict:
    result = _runs(airline.TRAIN_END, seeds, epochs)
    target = lstm_airline_baselines["seasonal_naive_drift"]["recursive"]["rmse"]
    sarima = lstm_airline_baselines["sarima"]["recursive"]["rmse"]
    best = lstm_airline_baselines[lstm_airline_baselines["best"]]["recursive"]["rmse"]
    closed = result["closed"]["recursive"]["rmse"]["median"]
    result["beats"] = {
        "seasonal_naive_drift": closed < target,
        "sarima": closed < sarima,
        "best": closed < best,
    }
    result["seeds"] = len(seeds)
    # baselines more accurate one step ahead than both LSTMs' medians
    lstm_best = min(result[o]["one_step"]["rmse"]["median"] for o in OBJECTIVES)
    one_step = [lstm_airline_baselines[name]["one_step"]["rmse"] for name in BASELINES]
    result["one_step_baselines_better"] = sum(r < lstm_best for r in one_step)
    result["n_baselines"] = len(BASELINES)
    result["seeds_beating_drift"] = sum(
        r["metrics"]["recursive"]["rmse"] < target for r in result["closed"]["runs"]
    )
    result["max_seconds"] = max(
        r["seconds"] for name in VARIANTS for r in result[name]["runs"]
    )
    direct = result["direct"]["direct"]["rmse"]["median"]
    result["direct_beats_closed"] = direct < closed
    return result


@values(
    "lstm-airline-rolling",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
    needs=("tcn-airline-rolling",),
    quick={"origins": ("1955-12", "1956-12"), "seeds": (0,), "epochs": 2},
)
def rolling_origins(
    tcn_airline_rolling, origins=airline.ORIGINS, seeds=SEEDS, epochs=lstm.EPOCHS
) -> dict:
    """Time-series cross-validation: at every origin each method is re-fitted on the
    months up to it and forecasts the next 24; the closed-loop and the direct LSTM with
    every seed, the TCN from its own job. MASE is scaled by the in-sample seasonal naive
    error."""
    series = airline.load_airline()
    per_origin = {name: [] for name in METHOD_NAMES}
    for origin in origins:
        train = series[:origin]
        for name, method in BASELINES.items():
            forecast = method(train, 24)
            per_origin[name].append(airline.origin_scores(series, origin, forecast))
    # method: (fit_and_forecast's arguments, the forecast it returns)
    networks = {
        "lstm": (VARIANTS["closed"], "recursive"),
        "lstm_direct": (VARIANTS["direct"], "direct"),
    }
    forecasts = {(name, origin): [] for name in networks for origin in origins}
    runs = [
        (name, origin, seed)
        for name in networks
        for origin in origins
        for seed in seeds
    ]
    for name, origin, seed in track(runs, "LSTM run"):
        arguments, kind = networks[name]
        out = fit_and_forecast(
            series, seed=seed, train_end=origin, epochs=epochs, **arguments
        )
        forecasts[name, origin].append(out[kind])
    for name in networks:
        for origin in origins:
            scores = airline.origin_scores(series, origin, forecasts[name, origin])
            per_origin[name].append(scores)
    if tcn_airline_rolling["origins"] != list(origins):
        raise ValueError(
            f"the TCN job ran at origins {tcn_airline_rolling['origins']}, "
            f"expected {list(origins)}"
        )
    per_origin["tcn"] = tcn_airline_rolling["per_origin"]
    methods = {}
    for name, rows in per_origin.items():
        methods[name] = {
            f"{k}_{stat}": float(fn([row[k] for row in rows]))
            for k in ("rmse", "mase")
            for stat, fn in (("mean", np.mean), ("median", np.median))
        }
    # the method with the lowest RMSE at each origin (networks: median over seeds)
    winners = [
        min(per_origin, key=lambda n: per_origin[n][i]["rmse"])
        for i in range(len(origins))
    ]
    for name in methods:
        methods[name]["wins"] = winners.count(name)
        worst = max(range(len(origins)), key=lambda i: per_origin[name][i]["rmse"])
        methods[name]["worst_origin"] = origins[worst]
        methods[name]["rmse_max"] = per_origin[name][worst]["rmse"]
    # what the networks learn from at the first origin: its seasonal differences and
    # the (lookback 12, horizon 24) windows they make
    first = len(airline.seasonal_differences(series[: origins[0]]))
    ranking = sorted(methods, key=lambda n: methods[n]["rmse_mean"])
    by_median = sorted(methods, key=lambda n: methods[n]["rmse_median"])
    return {
        "origins": list(origins),
        "origins_text": ", ".join(origins),
        "first_origin": origins[0],
        "first_differences": first,
        "first_windows": len(airline.make_windows(np.zeros(first), 12, 24)[0]),
        "n_origins": len(origins),
        "seeds": len(seeds),
        "methods": methods,
        "per_origin": per_origin,
        "ranking": ranking,
        "best": METHOD_NAMES[ranking[0]],
        "best_rmse_mean": methods[ranking[0]]["rmse_mean"],
        "second": METHOD_NAMES[ranking[1]],
        "second_rmse_mean": methods[ranking[1]]["rmse_mean"],
        "network_best": ranking[0] in ("lstm", "lstm_direct", "tcn"),
        "ranking_changes": len(set(winners)) > 1,
        "lstm_parameters": sum(p.numel() for p in lstm.LSTMForecaster().parameters()),
        "direct_parameters": sum(
            p.numel() for p in lstm.LSTMForecaster(outputs=24).parameters()
        ),
        "winners": winners,
        "distinct_winners": len(set(winners)),
        "rank": {name: ranking.index(name) + 1 for name in methods},
        "rank_median": {name: by_median.index(name) + 1 for name in methods},
        "n_methods": len(ranking),
    }


@values(
    "lstm-airline-intervals",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
    needs=("lstm-airline-runs",),
)
def intervals(lstm_airline_runs) -> dict:
    """The 80 % and 95 % prediction intervals of SARIMA and Holt-Winters at every
    rolling origin and on the test period: how many months fall inside. Beside them, how
    many test months the closed-loop LSTM's seed band (min–max over seeds) holds."""
    series = airline.load_airline()
    windows = (*airline.ORIGINS, airline.TRAIN_END)
    methods = {
        "sarima": airline.sarima_interval,
        "holt_winters": airline.holt_winters_interval,
    }
    result = {"n_windows": len(windows), "months": 24 * len(windows)}
    for name, interval in methods.items():
        result[name] = {}
        for key, level in LEVELS.items():
            inside, widths = [], []
            for origin in windows:
                low, high = interval(series[:origin], 24, level)
                actual = series[origin:].iloc[1:25].to_numpy()
                inside.append(int(((low <= actual) & (actual <= high)).sum()))
                widths.append(float(np.mean(high - low)))
            percent = 100 * sum(inside) / result["months"]
            result[name][key] = {
                # coverage 10 points or more off the interval's level, either way
                "over": bool(percent >= 100 * level + 10),
                "under": bool(percent <= 100 * level - 10),
                "close": bool(abs(percent - 100 * level) < 10),
                "held_out": inside[-1],
                "rolling": sum(inside[:-1]),
                "all": sum(inside),
                "all_pct": percent,
                "held_out_width": widths[-1],
                "low": [float(v) for v in low],  # the test period's bounds
                "high": [float(v) for v in high],
            }
    _, test_part = airline.split(series)
    runs = np.array([r["recursive"] for r in lstm_airline_runs["closed"]["runs"]])
    actual = test_part.to_numpy()
    band = (runs.min(0) <= actual) & (actual <= runs.max(0))
    result["lstm_band_inside"] = int(band.sum())
    result["lstm_band_width"] = float(np.mean(runs.max(0) - runs.min(0)))
    result["test_months"] = len(actual)
    return result


# --- figures --------------------------------------------------------------------------


@figure(
    "lstm-airline-series",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
)
def series_figure(theme) -> Figure:
    series = airline.load_airline()
    t = series.index.to_timestamp()
    z = airline.seasonal_differences(series)
    fig = Figure(figsize=(6.4, 6.0))
    axes = fig.subplots(3, 1, sharex=True)
    axes[0].plot(t, series.to_numpy(), color=theme.colors[0])
    passengers = theme.text(ko="승객 수 (천 명)", en="passengers (1000s)")
    axes[0].set_ylabel(passengers)
    axes[1].plot(t, np.log(series.to_numpy()), color=theme.colors[0])
    axes[1].set_ylabel(theme.text(ko="로그 승객 수", en="log passengers"))
    axes[2].plot(z.index.to_timestamp(), z.to_numpy(), color=theme.colors[1])
    axes[2].axhline(0, color=theme.muted, linewidth=0.8)
    axes[2].set_ylabel(theme.text(ko="계절 로그 차분", en="seasonal log diff."))
    split_at = series[airline.TEST_START :].index[0].to_timestamp()
    for ax in axes:
        ax.axvline(split_at, color=theme.muted, linestyle="--", linewidth=1)
    axes[0].annotate(
        theme.text(ko="테스트 구간", en="test"),
        (split_at, series.max()),
        xytext=(-4, -10),
        ha="right",  # left of the dashed line, clear of the test years' peaks
        textcoords="offset points",
        color=theme.muted,
    )
    fig.align_ylabels(axes)
    return fig


def median_band(ax, theme, x, runs, color, label, linestyle="-") -> None:
    """``runs`` (seeds, len(x)): the median as a line, the min-max range as a band."""
    ax.fill_between(x, runs.min(0), runs.max(0), color=color, alpha=0.25, linewidth=0)
    median = theme.text(
        ko=f"{label}: 중앙값과 최소–최대 범위", en=f"{label}: median and min–max range"
    )
    ax.plot(x, np.median(runs, 0), color=color, label=median, linestyle=linestyle)


def plot_actual(ax, theme, shown) -> None:
    """The actual passengers of ``shown`` (a monthly series) as the reference line."""
    ax.plot(
        shown.index.to_timestamp(),
        shown.to_numpy(),
        color=theme.fg,
        linewidth=1.2,
        label=theme.text(ko="실제 값", en="actual"),
    )


@figure(
    "lstm-airline-curves",
    page="sequence/lstm-airline",
    needs=("lstm-airline-runs",),
)
def curves_figure(theme, lstm_airline_runs) -> Figure:
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    labels = {
        "teacher": theme.text(ko="교사 강요 (1개월)", en="teacher forcing (1 month)"),
        "closed": theme.text(ko="닫힌 루프 (24개월)", en="closed loop (24 months)"),
    }
    # as in the forecast figure
    colors = {"teacher": theme.colors[1], "closed": theme.colors[0]}
    for name, label in labels.items():
        color = colors[name]
        runs = lstm_airline_runs[name]["runs"]
        losses = np.array([r["losses"] for r in runs])  # (seeds, epochs)
        epochs = np.arange(1, losses.shape[1] + 1)
        median_band(ax, theme, epochs, losses, color, label)
    ax.set(
        xlabel=theme.text(ko="에폭", en="epoch"),
        ylabel=theme.text(
            ko="학습 손실 (MSE, 스케일 조정)", en="training loss (MSE, scaled)"
        ),
        yscale="log",
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2, fontsize=8)
    return fig


@figure(
    "lstm-airline-forecast",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
    needs=("lstm-airline-runs", "lstm-airline-baselines"),
)
def forecast_figure(theme, lstm_airline_runs, lstm_airline_baselines) -> Figure:
    series = airline.load_airline()
    _, test_part = airline.split(series)
    shown = series["1957-01":]
    t_test = test_part.index.to_timestamp()
    best = lstm_airline_baselines["best"]
    fig = Figure(figsize=(6.4, 6.0))
    axes = fig.subplots(2, 1, sharex=True, sharey=True)
    titles = (
        theme.text(
            ko="한 단계 앞 예측 (실제 과거 값을 입력으로)",
            en="one step ahead (true history fed back)",
        ),
        theme.text(
            ko="1958년 말에서 24개월 앞까지 (재귀: 자기 예측을 다시 입력으로)",
            en="24 months ahead from the end of 1958 (recursive: forecasts fed back)",
        ),
    )
    for ax, horizon, title in zip(axes, ("one_step", "recursive"), titles, strict=True):
        plot_actual(ax, theme, shown)
        for name, color in (("teacher", theme.colors[1]), ("closed", theme.colors[0])):
            per_seed = lstm_airline_runs[name]["runs"]
            runs = np.array([r[horizon] for r in per_seed])  # (seeds, 24)
            label = (
                theme.text(ko="LSTM, 교사 강요", en="LSTM, teacher forcing")
                if name == "teacher"
                else theme.text(ko="LSTM, 닫힌 루프", en="LSTM, closed loop")
            )
            median_band(ax, theme, t_test, runs, color, label)
        if horizon == "recursive":
            runs = np.array([r["direct"] for r in lstm_airline_runs["direct"]["runs"]])
            label = theme.text(**METHOD_NAMES["lstm_direct"])
            median_band(ax, theme, t_test, runs, theme.colors[3], label, linestyle=":")
            ax.plot(
                t_test,
                lstm_airline_baselines[best]["forecast"],
                color=theme.colors[2],
                linestyle="--",
                label=theme.text(
                    ko=f"{METHOD_NAMES[best]['ko']} (가장 좋은 기준 모델)",
                    en=f"{METHOD_NAMES[best]['en']} (best baseline)",
                ),
            )
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(theme.text(ko="승객 수 (천 명)", en="passengers (1000s)"))
    axes[0].legend(loc="upper left", fontsize=8)
    axes[1].legend(loc="upper left", fontsize=8)
    axes[1].xaxis.set_major_locator(mdates.YearLocator())
    axes[1].xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    return fig


@figure(
    "lstm-airline-rolling-figure",
    page="sequence/lstm-airline",
    needs=("lstm-airline-rolling",),
)
def rolling_figure(theme, lstm_airline_rolling) -> Figure:
    per_origin = lstm_airline_rolling["per_origin"]
    origins = lstm_airline_rolling["origins"]
    x = np.arange(len(origins))
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.subplots()
    shown = {  # the baselines worth a line, each with its own dash pattern
        "seasonal_naive_drift": "--",
        "log_drift": "-.",
        "sarima": ":",
        "holt_winters": (0, (6, 2, 1, 2, 1, 2)),
    }
    for i, (name, dashes) in enumerate(shown.items()):
        rmse = [row["rmse"] for row in per_origin[name]]
        label = theme.text(**METHOD_NAMES[name])
        color = theme.colors[2 + i]
        ax.plot(x, rmse, linestyle=dashes, marker="o", color=color, label=label)
    for name, color in (("lstm", theme.colors[0]), ("tcn", theme.colors[1])):
        seeds = np.array(
            [row["rmse_all"] for row in per_origin[name]]
        ).T  # (seeds, origins)
        median_band(ax, theme, x, seeds, color, theme.text(**METHOD_NAMES[name]))
    ax.set_xticks(x, origins)
    ax.set(
        xlabel=theme.text(
            ko="예측 시점 (그다음 24개월을 예측)",
            en="forecast origin (the 24 months after it are forecast)",
        ),
        ylabel=theme.text(ko="24개월 RMSE (천 명)", en="24-month RMSE (1000s)"),
        ylim=(0, None),
    )
    # below the axes: the bands reach the top of the plot
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7, ncols=3)
    return fig


@figure(
    "lstm-airline-intervals-figure",
    page="sequence/lstm-airline",
    data=("airline-passengers.csv",),
    needs=("lstm-airline-intervals", "lstm-airline-runs", "lstm-airline-baselines"),
)
def intervals_figure(
    theme, lstm_airline_intervals, lstm_airline_runs, lstm_airline_baselines
) -> Figure:
    series = airline.load_airline()
    _, test_part = airline.split(series)
    shown = series["1958-01":]
    t_test = test_part.index.to_timestamp()
    fig = Figure(figsize=(6.4, 7.2))
    axes = fig.subplots(3, 1, sharex=True, sharey=True)
    for ax, name in zip(axes, ("sarima", "holt_winters"), strict=False):
        color = theme.colors[2]
        for key, alpha in (("p95", 0.18), ("p80", 0.35)):
            bounds = lstm_airline_intervals[name][key]
            percent = key[1:]
            ax.fill_between(
                t_test,
                bounds["low"],
                bounds["high"],
                color=color,
                alpha=alpha,
                linewidth=0,
                label=theme.text(ko=f"{percent}% 예측 구간", en=f"{percent}% interval"),
            )
        ax.plot(
            t_test,
            lstm_airline_baselines[name]["forecast"],
            color=color,
            label=theme.text(ko="점 예측", en="point forecast"),
        )
        ax.set_title(theme.text(**METHOD_NAMES[name]), fontsize=10)
    runs = np.array([r["recursive"] for r in lstm_airline_runs["closed"]["runs"]])
    median_band(
        axes[2], theme, t_test, runs, theme.colors[0], theme.text(ko="LSTM", en="LSTM")
    )
    axes[2].set_title(
        theme.text(
            ko="LSTM, 닫힌 루프: 시드 사이의 폭 (예측 구간이 아님)",
            en="LSTM, closed loop: spread over seeds (not a prediction interval)",
        ),
        fontsize=10,
    )
    for ax in axes:
        plot_actual(ax, theme, shown)
        ax.set_ylabel(theme.text(ko="승객 수 (천 명)", en="passengers (1000s)"))
        ax.legend(loc="upper left", fontsize=7)
    axes[2].xaxis.set_major_locator(mdates.YearLocator())
    axes[2].xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    return fig
