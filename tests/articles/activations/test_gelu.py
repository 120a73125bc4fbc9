"""The GELU article (snippets/articles/activations/gelu.py): its listings, the ReLU-versus-GELU
digits experiment, and the claims its page makes about the build's numbers."""

import math

import pytest
import torch
from torch import nn

from snippets.articles.activations import gelu as article
from tests.conftest import job_values, page_body


def test_split_sizes_and_scaling_uses_training_data_only():
    (X_train, y_train), (X_test, y_test) = article.load_data()
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert set(y_train.tolist()) == set(range(10))
    # standardised with training statistics: training columns have mean 0, test columns do not exactly
    assert X_train.mean(0).abs().max() < 1e-5
    assert X_test.mean(0).abs().max() > 1e-3


def test_model_shapes():
    model = article.make_mlp(nn.GELU)
    assert model(torch.zeros(5, 64)).shape == (5, 10)


def test_run_is_seeded_and_reproducible():
    a = article.run("GELU", seed=3, epochs=2)
    b = article.run("GELU", seed=3, epochs=2)
    c = article.run("GELU", seed=4, epochs=2)
    assert a == b
    assert a != c
    assert 0.8 < a[-1] <= 1.0


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="activation must be one of .*got 'Tanh'"):
        article.run("Tanh", seed=0, epochs=1)

def test_derivative_extrema_at_plus_minus_sqrt2():
    values = article.approximation_errors()
    assert values["derivative"]["max_at"] == pytest.approx(math.sqrt(2), abs=1e-4)
    assert values["derivative"]["min_at"] == pytest.approx(-math.sqrt(2), abs=1e-4)
    assert values["minimum"]["value"] == pytest.approx(-0.16997, abs=1e-5)


def test_listings_run_and_print(capsys):
    article.compare_with_pytorch()
    article.stochastic_view()
    article.derivative_check()
    out = capsys.readouterr().out
    assert "max |gelu - F.gelu| =" in out
    assert out.count("mean of x·m") == 3


def test_gelu_page_shows_listings_outputs_values_and_figures(built_site):
    body = page_body(built_site.dir / "activations/gelu/index.html")
    text = body.get_text()
    titles = [t.get_text() for t in body.select(".highlight .filename")]
    assert titles.count("출력") == 5 and "snippets/activations/gelu.py" in titles
    assert "def gelu(x: torch.Tensor)" in text
    assert "ValueError: expected a floating-point tensor" in text  # the real exception message
    assert "{{" not in text and "figure:" not in text
    values = job_values(built_site, "gelu-numbers")
    mantissa, exponent = f"{values['tanh']['max_err']:.2e}".split("e")
    assert rf"{mantissa} \times 10^{{-{int(exponent[1:])}}}" in text
    assert f"{values['minimum']['value']:.4f}" in text
    assert len(body.select('img[src$="#only-light"]')) == len(body.select('img[src$="#only-dark"]')) == 4


def test_page_claim_about_the_experiment_holds(built_site):
    """The text says the ReLU/GELU difference is within the seed spread; check the numbers agree."""
    values = job_values(built_site, "gelu-digits")
    assert abs(values["difference_pp"]) <= values["spread_pp"]
    assert values["gelu"]["median"] > 0.95 and values["relu"]["median"] > 0.95
    # "that is N test image(s) out of 450"
    assert values["difference_images"] == round(abs(values["difference_pp"]) / 100 * values["n_test"])


def test_silu_dips_deeper_and_further_out_than_gelu(built_site):
    """The page: SiLU's minimum is deeper and further out; x σ(1.702 x) nearly overlaps GELU."""
    values = job_values(built_site, "gelu-numbers")
    assert values["silu_minimum"]["value"] < values["minimum"]["value"] < 0
    assert values["silu_minimum"]["at"] < values["minimum"]["at"] < 0
    assert values["sigmoid"]["max_err"] < 0.05  # the sigmoid form is close, if not as close as tanh
    for lang, root in (("ko", ""), ("en", "en/")):
        text = page_body(built_site.dir / root / "activations/gelu/index.html").get_text()
        assert f"{values['silu_minimum']['value']:.4f}" in text and f"{values['silu_minimum']['at']:.3f}" in text, lang
