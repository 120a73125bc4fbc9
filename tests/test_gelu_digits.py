"""The ReLU-versus-GELU digits experiment: data handling, seeding, and the page's claim."""

import pytest
import torch
from torch import nn

from snippets.activations import gelu_digits


def test_split_sizes_and_scaling_uses_training_data_only():
    (X_train, y_train), (X_test, y_test) = gelu_digits.load_data()
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert set(y_train.tolist()) == set(range(10))
    # standardised with training statistics: training columns have mean 0, test columns do not exactly
    assert X_train.mean(0).abs().max() < 1e-5
    assert X_test.mean(0).abs().max() > 1e-3


def test_model_shapes():
    model = gelu_digits.make_mlp(nn.GELU)
    assert model(torch.zeros(5, 64)).shape == (5, 10)


def test_run_is_seeded_and_reproducible():
    a = gelu_digits.run("GELU", seed=3, epochs=2)
    b = gelu_digits.run("GELU", seed=3, epochs=2)
    c = gelu_digits.run("GELU", seed=4, epochs=2)
    assert a == b
    assert a != c
    assert 0.8 < a[-1] <= 1.0


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="activation must be one of .*got 'Tanh'"):
        gelu_digits.run("Tanh", seed=0, epochs=1)
