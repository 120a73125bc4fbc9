"""The TCN article (/sequence/tcn/): its listings and build jobs.

The TCN itself is :mod:`snippets.sequence.tcn`, the adding problem
:mod:`snippets.sequence.adding`.
Each output job's body is a listing on the page."""

import numpy as np
from matplotlib.figure import Figure

from snippets.build import figure, output, track, values
from snippets.sequence import adding, airline, lstm
from snippets.sequence.airline import SEEDS, seed_summary
from snippets.sequence.tcn import (
    TCN,
    input_steps_reached,
    measured_receptive_field,
    padding_difference,
    receptive_field,
)

# isort: split
# --8<-- [start:airline]
import torch
from torch import nn


class TCNForecaster(nn.Module):
    """The LSTM article's forecaster with a TCN inside:
    (B, lookback, 1) windows -> (B, 1).
    Three blocks of kernel 2 see 1 + 2·(2³ − 1) = 15 ≥ 12 months."""

    def __init__(self, channels=(16, 16, 16), kernel_size: int = 2):
        super().__init__()
        self.tcn = TCN(
            in_channels=1,
            out_features=1,
            channels=list(channels),
            kernel_size=kernel_size,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.transpose(1, 2)  # (B, lookback, 1) -> (B, 1, lookback)
        return self.tcn(x)  # (B, 1, lookback) -> (B, 1)


# --8<-- [end:airline]

CONFIGS = ((2, 1), (2, 3), (2, 5), (3, 2), (3, 4), (5, 3))  # (kernel size k, blocks n)
# from Bai, Kolter & Koltun (2018), table 1: adding problem, T = 600, test MSE
# (lower is better)
PAPER = {"TCN": 5.8e-5, "LSTM": 0.164, "GRU": 5.3e-5}


@output("tcn-same-output", page="sequence/tcn")
def same_output():
    # --8<-- [start:show-same-output]
    for kernel_size, dilation in ((2, 1), (3, 2), (5, 4)):
        diff = padding_difference(kernel_size, dilation)
        print(
            f"k={kernel_size}, d={dilation}: "
            f"max |left padding - pad both sides + chomp| = {diff}"
        )
    # --8<-- [end:show-same-output]


@output("tcn-shapes", page="sequence/tcn")
def shapes():
    # --8<-- [start:shapes]
    torch.manual_seed(0)
    model = TCN(in_channels=2, out_features=1, channels=[16, 16, 32], kernel_size=3)
    x = torch.randn(8, 2, 100)  # (batch, channels, time)
    h = x
    for i, block in enumerate(model.blocks):
        h = block(h)
        print(f"block {i} (dilation {2**i}): {tuple(h.shape)}")
    print(
        "model(x):",
        tuple(model(x).shape),
        " model(x, return_sequence=True):",
        tuple(model(x, return_sequence=True).shape),
    )
    # --8<-- [end:shapes]


@output("tcn-causality", page="sequence/tcn")
def causality():
    # --8<-- [start:causality]
    torch.manual_seed(0)
    model = TCN(in_channels=1, out_features=1, channels=[8, 8, 8], kernel_size=3).eval()
    x = torch.randn(1, 1, 60)
    changed = x.clone()
    changed[0, 0, 40] += 10.0  # change the input at step 40 only
    with torch.no_grad():
        y = model(x, return_sequence=True)  # (1, 1, 60)
        y_changed = model(changed, return_sequence=True)  # (1, 1, 60)
    diff = (y - y_changed).abs()[0, 0]
    print("max change of outputs 0..39: ", diff[:40].max().item())
    print("max change of outputs 40..59:", diff[40:].max().item())
    # --8<-- [end:causality]


@output("tcn-bad-config", page="sequence/tcn", raises="ValueError")
def bad_config():
    # --8<-- [start:bad-config]
    model = TCN(in_channels=2, out_features=1, channels=[16, 16])
    model(torch.randn(8, 100, 2))  # (batch, time, channels): axes the wrong way round
    # --8<-- [end:bad-config]


@values("tcn-receptive", page="sequence/tcn")
def receptive() -> dict:
    rows = []
    for k, n in CONFIGS:
        torch.manual_seed(0)
        model = TCN(1, 1, [4] * n, kernel_size=k)
        formula = receptive_field(k, n)
        measured = measured_receptive_field(model, length=formula + 20)
        rows.append({"k": k, "n": n, "formula": formula, "measured": measured})
    return {
        # r0, r1, ...: placeholders read dicts
        "rows": {f"r{i}": row for i, row in enumerate(rows)},
        "all_equal": all(r["formula"] == r["measured"] for r in rows),
    }


@figure("tcn-receptive-figure", page="sequence/tcn")
def receptive_figure(themes):
    """Which input steps reach the last output, measured by backpropagation, after 1..n
    blocks (measured once, drawn per variant)."""
    k, n, length = 2, 4, 40
    reached = {}
    for blocks in range(1, n + 1):
        torch.manual_seed(0)
        model = TCN(1, 1, [4] * blocks, kernel_size=k)
        reached[blocks] = input_steps_reached(model, length).numpy()  # (length,)
    steps = np.arange(length)
    for theme in themes:
        fig = Figure(figsize=(7.2, 2.8))
        ax = fig.subplots()
        for blocks, hit in reached.items():
            row = np.full(length, blocks)  # (length,): this row's height
            ax.scatter(steps[~hit], row[~hit], s=14, color=theme.muted, alpha=0.5)
            ax.scatter(steps[hit], row[hit], s=18, color=theme.colors[0])
            formula = receptive_field(k, blocks)
            label = theme.text(
                ko=f"시점 {hit.sum()}개 (공식 {formula})",
                en=f"{hit.sum()} steps (formula {formula})",
            )
            ax.annotate(
                label,
                (length - 0.5, blocks),
                xytext=(8, -3),
                textcoords="offset points",
                fontsize=8,
            )
        ax.scatter([length - 1], [n + 0.7], marker="v", s=40, color=theme.colors[1])
        ax.annotate(
            theme.text(ko="마지막 출력", en="last output"),
            (length - 1, n + 0.7),
            xytext=(-70, -3),
            textcoords="offset points",
            fontsize=8,
        )
        ax.set(
            xlabel=theme.text(ko="입력 시점", en="input time step"),
            ylabel=theme.text(
                ko="블록 수 (팽창 1, 2, 4, …)", en="blocks (dilations 1, 2, 4, …)"
            ),
            yticks=range(1, n + 1),
            xlim=(-1, length + 14),
            ylim=(0.4, n + 1.1),
        )
        ax.grid(False)
        yield fig


def dilation_paths(kernel_size: int, dilations, length: int) -> list[set[int]]:
    """For a stack of causal convolutions, one per dilation: the time steps of each
    layer (0 = the input) that the last output of the top layer reaches."""
    reached = [set() for _ in range(len(dilations) + 1)]
    reached[-1] = {length - 1}
    for layer in range(len(dilations), 0, -1):
        d = dilations[layer - 1]
        taps = {t - j * d for t in reached[layer] for j in range(kernel_size)}
        reached[layer - 1] = {t for t in taps if t >= 0}  # t < 0: the left zero padding
    return reached


# kernel size, dilations, and time steps drawn in the dilation diagram
DILATION_DEMO = (2, (1, 2, 4), 16)


@values("tcn-dilation", page="sequence/tcn")
def dilation() -> dict:
    k, dilations, length = DILATION_DEMO
    reached = dilation_paths(k, dilations, length)
    return {
        "kernel": k,
        "dilations": ", ".join(map(str, dilations)),
        "inputs": len(reached[0]),
        "first": min(reached[0]),
        "last": length - 1,
        "length": length,
        # one convolution per dilation: each adds (k - 1)·d steps
        "formula": 1 + (k - 1) * sum(dilations),
        "undilated": 1 + (k - 1) * len(dilations),
    }


@figure("tcn-dilation-figure", page="sequence/tcn")
def dilation_figure(theme) -> Figure:
    """The paper's figure 1a redrawn for kernel 2: causal convolutions with dilations
    1, 2 and 4 stacked; the connections that reach the last output are highlighted."""
    k, dilations, length = DILATION_DEMO
    reached = dilation_paths(k, dilations, length)
    fig = Figure(figsize=(7.2, 3.0))
    ax = fig.subplots()
    for layer, d in enumerate(dilations, start=1):
        for t in range(length):
            for j in range(k):
                if t - j * d < 0:
                    continue
                hit = t in reached[layer] and t - j * d in reached[layer - 1]
                ax.plot(
                    [t - j * d, t],
                    [layer - 1, layer],
                    color=theme.colors[0] if hit else theme.muted,
                    linewidth=1.8 if hit else 0.6,
                    alpha=1.0 if hit else 0.45,
                    zorder=2 if hit else 1,
                )
    for layer, steps in enumerate(reached):
        t = np.arange(length)
        hit = np.isin(t, sorted(steps))
        ax.scatter(
            t[~hit], np.full((~hit).sum(), layer), s=22, color=theme.muted, zorder=3
        )
        ax.scatter(
            t[hit], np.full(hit.sum(), layer), s=30, color=theme.colors[0], zorder=3
        )
    names = [theme.text(ko="입력", en="input")]
    names += [theme.text(ko=f"팽창 d = {d}", en=f"dilation d = {d}") for d in dilations]
    names[-1] += theme.text(ko=" (출력)", en=" (output)")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel(theme.text(ko="시점", en="time step"))
    ax.set_xticks(range(0, length, 3))
    ax.grid(False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return fig


@values("tcn-adding", page="sequence/tcn", quick={"length": 20, "steps": 10})
def adding_problem(length=adding.LENGTH, steps=adding.STEPS) -> dict:
    result = adding.experiment(length, steps)
    result["paper"] = PAPER
    counts = [m["parameters"] for m in result["models"].values()]
    result["parameter_spread"] = max(counts) / min(counts) - 1
    result["total_seconds"] = sum(m["seconds"] for m in result["models"].values())
    return result


@figure("tcn-adding-curves", page="sequence/tcn", needs=("tcn-adding",))
def adding_curves(theme, tcn_adding) -> Figure:
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    models = tcn_adding["models"]
    for (name, run), color in zip(models.items(), theme.colors, strict=False):
        ax.plot(
            run["steps"],
            run["curve"],
            color=color,
            label=theme.text(
                ko=f"{name} (파라미터 {run['parameters']:,}개)",
                en=f"{name} ({run['parameters']:,} parameters)",
            ),
        )
    ax.axhline(
        tcn_adding["baseline_mse"],
        color=theme.muted,
        linestyle="--",
        linewidth=1,
        label=theme.text(ko="항상 1을 예측 (기준 모델)", en="always predict 1"),
    )
    ax.set(
        xlabel=theme.text(ko="학습 스텝", en="training step"),
        ylabel=theme.text(ko="테스트 MSE", en="test MSE"),
        yscale="log",
        title=theme.text(
            ko=f"덧셈 문제, T = {tcn_adding['length']}",
            en=f"adding problem, T = {tcn_adding['length']}",
        ),
    )
    ax.legend(loc="lower left", fontsize=8)
    return fig


@values(
    "tcn-airline",
    page="sequence/tcn",
    data=("airline-passengers.csv",),
    needs=("lstm-airline-runs", "lstm-airline-baselines"),
    quick={"seeds": (0,), "epochs": 2},
)
def tcn_airline(
    lstm_airline_runs, lstm_airline_baselines, seeds=SEEDS, epochs=lstm.EPOCHS
) -> dict:
    """The TCN in the LSTM article's setting: same split, scaler, windows, closed-loop
    objective, epochs and seeds; only the network differs."""
    series = airline.load_airline()
    _, test_part = airline.split(series)
    kinds = ("one_step", "recursive")
    runs = []
    for seed in seeds:
        out = lstm.fit_and_forecast(
            series, seed=seed, horizon=24, epochs=epochs, make_model=TCNForecaster
        )
        scores = {h: airline.metrics(test_part, out[h]) for h in kinds}
        runs.append({"seed": seed, "seconds": out["seconds"], **scores})
    result = {
        h: {m: seed_summary([r[h][m] for r in runs]) for m in ("rmse", "mae", "mape")}
        for h in kinds
    }
    result["runs"] = runs
    result["parameters"] = sum(p.numel() for p in TCNForecaster().parameters())
    result["seconds_median"] = seed_summary([r["seconds"] for r in runs])["median"]
    closed_lstm = lstm_airline_runs["closed"]["recursive"]
    holt_winters = lstm_airline_baselines["holt_winters"]["recursive"]
    result["lstm_closed_rmse"] = closed_lstm["rmse"]["median"]
    result["holt_winters_rmse"] = holt_winters["rmse"]
    return result


@values(
    "tcn-airline-rolling",
    page="sequence/tcn",
    data=("airline-passengers.csv",),
    quick={"origins": ("1955-12", "1956-12"), "seeds": (0,), "epochs": 2},
)
def tcn_airline_rolling(origins=airline.ORIGINS, seeds=SEEDS, epochs=lstm.EPOCHS):
    """The TCN at the LSTM article's rolling origins: re-trained on the months up to
    each origin (closed loop, every seed), scored on the 24 months after it."""
    series = airline.load_airline()
    forecasts = {origin: [] for origin in origins}
    pairs = [(origin, seed) for origin in origins for seed in seeds]
    for origin, seed in track(pairs, "TCN run"):
        out = lstm.fit_and_forecast(
            series,
            seed=seed,
            train_end=origin,
            horizon=24,
            epochs=epochs,
            make_model=TCNForecaster,
        )
        forecasts[origin].append(out["recursive"])
    return {
        "origins": list(origins),
        "n_origins": len(origins),
        "per_origin": [airline.origin_scores(series, o, forecasts[o]) for o in origins],
    }
