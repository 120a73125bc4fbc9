"""The TCN article (snippets/articles/sequence/tcn.py): the claims its page makes about the
build's numbers."""

from tests.conftest import job_values


def test_tcn_claims_hold(built_site):
    """What the TCN article says about its receptive fields and the adding problem."""
    receptive, run = job_values(built_site, "tcn-receptive"), job_values(built_site, "tcn-adding")
    assert receptive["all_equal"] and len(receptive["rows"]) == 6
    assert run["parameter_spread"] < 0.10  # "about the same number of parameters"
    models = run["models"]
    assert models["TCN"]["final_mse"] < 0.01  # the target: well below 0.01
    assert models["LSTM"]["final_mse"] > 0.5 * run["baseline_mse"]  # near the trivial baseline
    assert models["TCN"]["final_mse"] < models["GRU"]["final_mse"] < 0.1 * run["baseline_mse"]  # GRU learns too
    assert 0.15 < run["baseline_mse"] < 0.19  # the page states the time it took, whatever it is


def test_tcn_airline_claims_hold(built_site):
    """The TCN article's airline paragraph: a lower median than the LSTM and Holt-Winters, but
    a seed spread wider than the gaps; under a minute per seed."""
    run = job_values(built_site, "tcn-airline")
    rmse = run["recursive"]["rmse"]
    assert rmse["median"] < run["lstm_closed_rmse"] and rmse["median"] < run["holt_winters_rmse"]
    spread = rmse["max"] - rmse["min"]
    assert spread > run["lstm_closed_rmse"] - rmse["median"] and spread > run["holt_winters_rmse"] - rmse["median"]
    assert max(r["seconds"] for r in run["runs"]) < 60
