"""The LSTM forecasting article (snippets/articles/sequence/lstm_airline.py): the claims its page
makes about the build's numbers."""

from tests.conftest import job_values


def test_lstm_airline_claims_hold(built_site):
    """What the LSTM article's prose says about its table; if a rebuild changes the numbers so
    that a sentence no longer holds, this fails and the sentence has to change."""
    base, runs, val = (job_values(built_site, j) for j in
                       ("lstm-airline-baselines", "lstm-airline-runs", "lstm-airline-validation"))
    rec = {name: base[name]["recursive"]["rmse"] for name in ("seasonal_naive_drift", "sarima", "holt_winters")}
    closed, teacher = runs["closed"]["recursive"]["rmse"], runs["teacher"]["recursive"]["rmse"]
    # validation: the closed loop is chosen, by a small margin, and the drift forecast beats both LSTMs
    assert val["chosen"] == "closed"
    margin = val["teacher"]["recursive"]["rmse"]["median"] - val["closed"]["recursive"]["rmse"]["median"]
    assert 0 < margin < val["closed"]["recursive"]["rmse"]["max"] - val["closed"]["recursive"]["rmse"]["min"]
    assert val["seasonal_naive_drift_rmse"] < min(val[o]["recursive"]["rmse"]["median"] for o in ("teacher", "closed"))
    # one step ahead looks far better than recursive for the teacher-forced LSTM
    assert runs["teacher"]["one_step"]["rmse"]["median"] < 0.6 * teacher["median"]
    # teacher forcing loses to seasonal naive with drift recursively, and spreads more than the closed loop
    assert teacher["median"] > rec["seasonal_naive_drift"]
    assert teacher["max"] - teacher["min"] > closed["max"] - closed["min"]
    # the closed loop beats drift and SARIMA, but not Holt-Winters, by less than its seed spread
    assert rec["holt_winters"] < closed["median"] < rec["seasonal_naive_drift"] < rec["sarima"]
    assert rec["seasonal_naive_drift"] - closed["median"] < closed["max"] - closed["min"]
    assert base["best"] == "holt_winters"
    # the closed-loop training loss stays above the one-step loss (the curves figure's alt text)
    final = {o: sorted(r["losses"][-1] for r in runs[o]["runs"])[2] for o in ("teacher", "closed")}
    assert final["closed"] > final["teacher"]
    # the target: the recursive LSTM beats seasonal naive with drift; each seed under 15 s
    assert runs["beats"]["seasonal_naive_drift"] and runs["max_seconds"] < 15
