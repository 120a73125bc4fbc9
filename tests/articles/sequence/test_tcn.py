"""The TCN article (snippets/articles/sequence/tcn.py): the claims its page makes about the
build's numbers."""

from tests.conftest import job_values


def test_tcn_claims_hold(built_site):
    """What the TCN article says about its receptive fields and the adding problem."""
    receptive, run = job_values(built_site, "tcn-receptive"), job_values(built_site, "tcn-adding")
    assert receptive["all_equal"] and len(receptive["rows"]) == 6
    assert run["parameter_spread"] < 0.10  # "about the same number of parameters"
    models = run["models"]
    assert models["LSTM"]["final_mse"] > 0.5 * run["baseline_mse"]  # near the trivial baseline
    assert models["TCN"]["final_mse"] < models["GRU"]["final_mse"] < 0.1 * run["baseline_mse"]  # GRU learns too
    assert 0.15 < run["baseline_mse"] < 0.19  # "about 0.1667, the variance of the sum" on this data


def test_tcn_airline_claims_hold(built_site):
    """The TCN article's airline paragraph states the numbers without ranking them; what it
    compares is checked with the rolling origins in tests/articles/sequence/test_lstm_airline.py.
    Here: the table's best-baseline row is the best baseline's."""
    run, base = job_values(built_site, "tcn-airline"), job_values(built_site, "lstm-airline-baselines")
    assert base["best_rmse"] == min(base[k]["recursive"]["rmse"] for k in base if isinstance(base[k], dict)
                                    and "recursive" in base[k])
    assert base["best_one_step_rmse"] == base[base["best"]]["one_step"]["rmse"]
    assert len(run["runs"]) == 5 and run["parameters"] > 0


def test_dilation_diagram_matches_a_measured_stack():
    """The diagram's highlighted inputs are the ones a stack of causal convolutions with the same
    kernel and dilations really reaches (gradient of the last output)."""
    import torch

    from snippets.articles.sequence.tcn import DILATION_DEMO, dilation_paths
    from snippets.sequence.tcn import CausalConv1d

    k, dilations, length = DILATION_DEMO
    reached = dilation_paths(k, dilations, length)
    stack = torch.nn.Sequential(*(CausalConv1d(1, 1, k, dilation=d) for d in dilations))
    for conv in stack:
        torch.nn.init.constant_(conv.weight, 1.0)
    x = torch.ones(1, 1, length, requires_grad=True)
    stack(x)[0, 0, -1].backward()
    assert reached[0] == set(torch.nonzero(x.grad[0, 0]).flatten().tolist())
    assert reached[-1] == {length - 1} and len(reached[0]) == 1 + (k - 1) * sum(dilations)
