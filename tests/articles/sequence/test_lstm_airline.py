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
           "lstm-airline-rolling", "tcn-airline-rolling", "tcn-airline")
    return {i: job_values(built_site, i) for i in ids}


def test_lstm_airline_claims_hold(numbers):
    """The held-out window and the validation years, as the page states them."""
    base, runs, val = (numbers[j] for j in ("lstm-airline-baselines", "lstm-airline-runs", "lstm-airline-validation"))
    closed, teacher = runs["closed"]["recursive"]["rmse"], runs["teacher"]["recursive"]["rmse"]
    # validation: "the closed loop has the lower median, so we choose it, though the margin is small"
    assert val["chosen"] == "closed"
    margin = val["teacher"]["recursive"]["rmse"]["median"] - val["closed"]["recursive"]["rmse"]["median"]
    assert 0 < margin < val["closed"]["recursive"]["rmse"]["max"] - val["closed"]["recursive"]["rmse"]["min"]
    # "seasonal naive with drift beats both LSTMs (log drift ... does no better than they do)"
    lstm_medians = [val[o]["recursive"]["rmse"]["median"] for o in ("teacher", "closed")]
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
    for row in rolling["per_origin"]["lstm"] + rolling["per_origin"]["tcn"]:
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
    assert rolling["network_best"] == (order[0] in ("lstm", "tcn"))
    by_median = sorted(methods, key=lambda n: methods[n]["rmse_median"])
    assert all(rolling["rank_median"][n] == by_median.index(n) + 1 for n in methods)
    # MASE is MAE over the in-sample seasonal naive MAE: seasonal naive itself sits near 1 and above
    # the methods that beat it
    assert methods["seasonal_naive"]["mase_mean"] > methods[order[0]]["mase_mean"]
    # the TCN page: the parameter counts it states
    assert numbers["tcn-airline"]["parameters"] > rolling["lstm_parameters"] > 0
    # the LSTM page's count: four gates of 16 units on one input, two bias vectors, a 17-weight head
    assert rolling["lstm_parameters"] == 4 * 16 * (1 + 16) + 2 * 4 * 16 + 17
