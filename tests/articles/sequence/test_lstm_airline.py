"""The LSTM forecasting article (snippets/articles/sequence/lstm_airline.py): the claims its page
makes about the build's numbers. They check what the sentences say against the numbers, whatever
the numbers turn out to be; where a sentence depends on the outcome, the page picks it with an
``{{ if }}`` block and the test checks the flag the block reads."""

import numpy as np
import pandas as pd
import pytest

from snippets.articles.sequence.lstm_airline import METHOD_NAMES
from snippets.sequence import airline
from tests.conftest import job_values


@pytest.fixture(scope="module")
def numbers(built_site):
    ids = ("lstm-airline-baselines", "lstm-airline-runs", "lstm-airline-validation", "lstm-airline-facts",
           "lstm-airline-rolling", "tcn-airline-rolling", "tcn-airline", "lstm-airline-intervals")
    return {i: job_values(built_site, i) for i in ids}


def test_lstm_airline_claims_hold(numbers):
    """The held-out window and the validation years, as the page states them."""
    base, runs, val = (numbers[j] for j in ("lstm-airline-baselines", "lstm-airline-runs", "lstm-airline-validation"))
    closed, teacher = runs["closed"]["recursive"]["rmse"], runs["teacher"]["recursive"]["rmse"]
    # validation: "the closed loop has the lower median, so we choose it, though the margin is small"
    assert val["chosen"] == "closed"
    margin = val["teacher"]["recursive"]["rmse"]["median"] - val["closed"]["recursive"]["rmse"]["median"]
    assert 0 < margin < val["closed"]["recursive"]["rmse"]["max"] - val["closed"]["recursive"]["rmse"]["min"]
    # "seasonal naive + drift beats all three LSTMs (log drift ... does no better than any of them)"
    lstm_medians = [val[o]["recursive"]["rmse"]["median"] for o in ("teacher", "closed")]
    lstm_medians.append(val["direct"]["direct"]["rmse"]["median"])
    assert all(f"{name}_rmse" in val for name in ("naive", "seasonal_naive", "sarima", "holt_winters"))  # the table
    assert val["seasonal_naive_drift_rmse"] < min(lstm_medians) <= val["log_drift_rmse"]
    # "one step ahead ... far better than its own recursive"
    assert runs["teacher"]["one_step"]["rmse"]["median"] < 0.6 * teacher["median"]
    # "teacher forcing ... worse than seasonal naive with drift. Its seeds also spread widely."
    assert teacher["median"] > base["seasonal_naive_drift"]["recursive"]["rmse"]
    assert teacher["max"] - teacher["min"] > closed["max"] - closed["min"]
    # "the closed-loop objective brings the recursive RMSE down to ..."
    assert closed["median"] < teacher["median"]
    # "the best baseline is ...": the name and number the page shows are the minimum's
    best = min((k for k in base if isinstance(base[k], dict) and "recursive" in base[k]),
               key=lambda k: base[k]["recursive"]["rmse"])
    assert base["best"] == best and base["best_rmse"] == base[best]["recursive"]["rmse"]
    # "Even so, N of the 6 baselines are more accurate one step ahead than both LSTMs"
    lstm_best = min(runs[o]["one_step"]["rmse"]["median"] for o in ("teacher", "closed"))
    better = [k for k in base if isinstance(base[k], dict) and "one_step" in base[k]
              and base[k]["one_step"]["rmse"] < lstm_best]
    assert runs["one_step_baselines_better"] == len(better) and runs["n_baselines"] == 6
    # the closed-loop training loss stays above the one-step loss (the curves figure's alt text)
    final = {o: sorted(r["losses"][-1] for r in runs[o]["runs"])[2] for o in ("teacher", "closed")}
    assert final["closed"] > final["teacher"]


def test_leak_paragraph_matches_the_data(numbers):
    """'the training months span only 0 to 0.77'; 'the test months run from 0.59 to 1.29: 6 of the 24
    test months, the summer peaks, lie above every training month'."""
    facts = numbers["lstm-airline-facts"]
    series = airline.load_airline()
    train, test = airline.split(series)
    assert facts["train_max_scaled_all"] == pytest.approx((train.max() - series.min()) / (series.max() - series.min()))
    assert facts["train_max_scaled_all"] < 1 and facts["test_max_scaled_train"] > 1 > facts["test_min_scaled_train"]
    above = test[test > train.max()]
    assert 0 < len(above) == facts["test_above_train_max"] < facts["test_months"] == len(test)
    assert facts["test_above_months"] == ", ".join(str(m) for m in above.index)  # the months named
    assert facts["swing_first_people"] == 1000 * facts["swing_first"]


def test_rolling_origins_table_and_sentences(numbers):
    """The rolling-origin section: its table, ranks and the sentence picked by its flags."""
    rolling, tcn = numbers["lstm-airline-rolling"], numbers["tcn-airline-rolling"]
    assert rolling["origins"] == list(airline.ORIGINS) == tcn["origins"]
    # "every window ends before the test period"
    assert all(str(pd.Period(o, "M") + 24) <= airline.TRAIN_END for o in rolling["origins"])
    methods = rolling["methods"]
    for name, m in methods.items():
        rmse = [row["rmse"] for row in rolling["per_origin"][name]]
        assert m["rmse_mean"] == pytest.approx(np.mean(rmse)) and m["rmse_median"] == pytest.approx(np.median(rmse))
    # networks: the score at an origin is the median over the seeds
    for row in rolling["per_origin"]["lstm"] + rolling["per_origin"]["lstm_direct"] + rolling["per_origin"]["tcn"]:
        assert len(row["rmse_all"]) == rolling["seeds"] and row["rmse"] == pytest.approx(np.median(row["rmse_all"]))
    # the last column counts origins won; the winners are the minima
    assert sum(m["wins"] for m in methods.values()) == rolling["n_origins"]
    for i, winner in enumerate(rolling["winners"]):
        assert winner == min(methods, key=lambda n: rolling["per_origin"][n][i]["rmse"])
    assert rolling["ranking_changes"] == (rolling["distinct_winners"] > 1) == (len(set(rolling["winners"])) > 1)
    # "the lowest RMSE is that of X (..), then Y (..)"; the ranks
    order = sorted(methods, key=lambda n: methods[n]["rmse_mean"])
    assert rolling["ranking"] == order and rolling["best"] == METHOD_NAMES[order[0]]
    assert rolling["best_rmse_mean"] == methods[order[0]]["rmse_mean"] and rolling["second"] == METHOD_NAMES[order[1]]
    assert all(rolling["rank"][n] == order.index(n) + 1 for n in methods)
    assert rolling["network_best"] == (order[0] in ("lstm", "lstm_direct", "tcn"))
    by_median = sorted(methods, key=lambda n: methods[n]["rmse_median"])
    assert all(rolling["rank_median"][n] == by_median.index(n) + 1 for n in methods)
    # MASE is MAE over the in-sample seasonal naive MAE: seasonal naive itself sits near 1 and above
    # the methods that beat it
    assert methods["seasonal_naive"]["mase_mean"] > methods[order[0]]["mase_mean"]
    # the TCN page: the parameter counts it states
    assert numbers["tcn-airline"]["parameters"] > rolling["lstm_parameters"] > 0
    # the LSTM page's count: four gates of 16 units on one input, two bias vectors, a 17-weight head
    assert rolling["lstm_parameters"] == 4 * 16 * (1 + 16) + 2 * 4 * 16 + 17

    # the TCN page: "its mean is pulled up by its worst origin, X (..)"
    for name, m in methods.items():
        rmse = [row["rmse"] for row in rolling["per_origin"][name]]
        assert m["rmse_max"] == max(rmse) and m["worst_origin"] == rolling["origins"][rmse.index(max(rmse))]
    # "at 1953-12 there are 48 seasonal differences before the origin, which make 13 training windows"
    series = airline.load_airline()
    first = rolling["first_origin"]
    assert first == rolling["origins"][0]
    assert rolling["first_differences"] == len(series[:first]) - 12
    assert rolling["first_windows"] == rolling["first_differences"] - (12 + 24) + 1
    # "the same LSTM and a head with 24 outputs": 23 more rows of 16 weights and a bias
    assert rolling["direct_parameters"] == rolling["lstm_parameters"] + 23 * 17


def test_direct_strategy_sentences(numbers):
    """The direct LSTM's rows and the sentences its flags pick, on the validation years and 1959-1960."""
    val, runs = numbers["lstm-airline-validation"], numbers["lstm-airline-runs"]
    chosen = val[val["chosen"]]["recursive"]["rmse"]["median"]
    assert val["direct_better"] == (val["direct"]["direct"]["rmse"]["median"] < chosen)
    direct = runs["direct"]["direct"]["rmse"]
    assert runs["direct_beats_closed"] == (direct["median"] < runs["closed"]["recursive"]["rmse"]["median"])
    assert len(runs["direct"]["runs"]) == runs["seeds"] and "one_step" not in runs["direct"]  # the table's dashes
    per_seed = [r["metrics"]["direct"]["rmse"] for r in runs["direct"]["runs"]]
    assert direct["median"] == pytest.approx(np.median(per_seed))


def test_prediction_interval_counts(numbers):
    """The interval table counts months inside each interval over the rolling origins and the test period;
    the figure's alt text: intervals widen with the horizon, the LSTM's seed band is much narrower."""
    iv, rolling = numbers["lstm-airline-intervals"], numbers["lstm-airline-rolling"]
    assert iv["n_windows"] == rolling["n_origins"] + 1 and iv["months"] == 24 * iv["n_windows"]
    for name in ("sarima", "holt_winters"):
        for level in ("p80", "p95"):
            row = iv[name][level]
            assert row["all"] == row["rolling"] + row["held_out"] <= iv["months"]
            assert row["all_pct"] == pytest.approx(100 * row["all"] / iv["months"])
            widths = np.array(row["high"]) - np.array(row["low"])
            assert widths[-1] > widths[0] and row["held_out_width"] == pytest.approx(widths.mean())
        assert iv[name]["p80"]["all"] <= iv[name]["p95"]["all"]  # the 95 % interval holds the 80 % one
        # the sentence picked for each method: over, under or close to the 80 % level, exactly one
        row = iv[name]["p80"]
        assert row["over"] == (row["all_pct"] >= 90) and row["under"] == (row["all_pct"] <= 70)
        assert row["close"] == (not row["over"] and not row["under"])
        assert iv["lstm_band_width"] < 0.5 * iv[name]["p95"]["held_out_width"]  # "much narrower"
    # the band: months of 1959-1960 between the lowest and highest seed
    series = airline.load_airline()
    _, test = airline.split(series)
    runs = np.array([r["recursive"] for r in numbers["lstm-airline-runs"]["closed"]["runs"]])
    inside = ((runs.min(0) <= test.to_numpy()) & (test.to_numpy() <= runs.max(0))).sum()
    assert iv["lstm_band_inside"] == inside and iv["test_months"] == len(test)
