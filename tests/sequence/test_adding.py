"""The adding problem (snippets/sequence/adding.py): data, the compared models, training."""

import pytest
import torch

from snippets.sequence import adding, tcn


def test_adding_data_has_one_marker_per_half_and_the_sum_as_target():
    x, y = adding.make_adding_data(500, 51, seed=3)
    assert x.shape == (500, 2, 51) and y.shape == (500, 1)
    values, markers = x[:, 0], x[:, 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(markers.unique().tolist()) == {0.0, 1.0}
    assert (markers[:, :25].sum(1) == 1).all() and (markers[:, 25:].sum(1) == 1).all()
    assert torch.allclose((values * markers).sum(1, keepdim=True), y)
    # positions cover both halves, not just a few places
    assert len(set(markers[:, :25].argmax(1).tolist())) == 25 and len(set(markers[:, 25:].argmax(1).tolist())) == 26


def test_adding_data_is_seeded():
    a, b, c = (adding.make_adding_data(20, 30, seed=s) for s in (7, 7, 8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_predicting_one_costs_the_variance_of_the_sum():
    _, y = adding.make_adding_data(200_000, 4, seed=0)
    assert adding.constant_mse(y) == pytest.approx(1 / 6, abs=2e-3)


def test_the_three_compared_models_have_about_the_same_size():
    counts = adding.parameter_counts()
    assert set(counts) == {"TCN", "LSTM", "GRU"}
    assert max(counts.values()) <= 1.1 * min(counts.values())
    x = torch.rand(3, 2, 17)
    for model in adding.make_models().values():
        assert model(x).shape == (3, 1)
    assert adding.make_models()["TCN"].receptive_field >= adding.LENGTH


def test_experiment_runs_the_three_models_on_the_same_budget(monkeypatch):
    monkeypatch.setattr(adding, "N_TRAIN", 200)
    monkeypatch.setattr(adding, "N_TEST", 50)
    threads = torch.get_num_threads()
    result = adding.experiment(length=12, steps=3)
    assert torch.get_num_threads() == threads  # restored
    assert result["length"] == 12 and result["steps"] == 3 and result["threads"] == 1
    assert list(result["models"]) == ["TCN", "LSTM", "GRU"]
    counts = adding.parameter_counts()
    for name, run in result["models"].items():
        assert run["steps"] == [0, 3] and len(run["curve"]) == 2 and run["seconds"] > 0
        assert run["parameters"] == counts[name]
    assert 0.1 < result["baseline_mse"] < 0.25
    with pytest.raises(ValueError, match="length must be between 2 and the TCN's receptive field 311, got 400"):
        adding.experiment(length=400, steps=1)


def test_a_short_seeded_run_beats_the_trivial_baseline_and_repeats():
    train_data = adding.make_adding_data(4_000, 30, seed=0)
    test_data = adding.make_adding_data(500, 30, seed=1)
    baseline = adding.constant_mse(test_data[1])  # predicting 1 on this test set: about 0.15

    def run(steps, seed=3):  # seeds 0-3 all end below 0.05 after 300 steps; 3 with the widest margin
        torch.manual_seed(seed)
        model = tcn.TCN(2, 1, [16, 16, 16], kernel_size=4)  # receptive field 43 >= 30
        return adding.train(model, train_data, test_data, steps=steps, seed=seed, lr=5e-3, eval_every=100)

    result = run(300)
    assert result["steps"] == [0, 100, 200, 300]
    assert result["final_mse"] == result["curve"][-1] < 0.25 * baseline
    assert result["seconds"] > 0
    assert run(20)["curve"] == run(20)["curve"]  # seeded: the same curve again


@pytest.mark.parametrize(("build", "message"), [
    (lambda: adding.make_adding_data(4, 1, seed=0), r"length must be at least 2 \(one marker per half\), got 1"),
    (lambda: adding.RecurrentRegressor("rnn", 8), r"cell must be one of \['gru', 'lstm'\], got 'rnn'"),
    (lambda: adding.RecurrentRegressor("lstm", 4)(torch.zeros(5, 40, 2)),
     r"expected input of shape \(batch, 2, length\), got \(5, 40, 2\)"),
])
def test_bad_inputs_are_clear_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()
