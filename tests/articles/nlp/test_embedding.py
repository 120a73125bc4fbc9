"""The nn.Embedding article (snippets/articles/nlp/embedding.py): its listings, the month
embeddings, and the claims its page makes about the build's numbers."""

import pytest
import torch

from snippets.articles.nlp import embedding as article
from tests.conftest import job_values


def test_embedding_claims_hold(built_site):
    """What the nn.Embedding article's prose says about its measurements and learned months."""
    cost, months = job_values(built_site, "embedding-cost"), job_values(built_site, "embedding-months")
    assert cost["ratio"] > 100 and cost["lookup_spread"] < 5  # far cheaper, and flat in the vocabulary
    rows = cost["rows"]
    assert rows[-1]["one_hot_s"] > 10 * rows[0]["one_hot_s"]  # the product grows with the vocabulary
    assert 0.9 < months["explained_min"] < 1  # "nearly in a plane"
    # which sentence the page shows about weight decay depends on this; both are checked by their numbers
    assert months["decay_flattens"] == (months["explained_min"] > months["explained_max_no_decay"])
    assert months["offset_r2_min"] > 0.95 and months["change_r2_min"] > 0.95
    assert (months["busiest"], months["quietest"]) == ("Jul", "Nov")
    assert months["summer_pairs_total"] > months["summer_pairs_possible"] / 2
    assert months["summer_pairs_total"] > 2 * months["summer_pairs_chance"]  # well above chance
    assert months["summer_pairs_chance"] == pytest.approx(months["summer_pairs_possible"] * 2 / 11)
    assert months["seed0_nearest"]["Jun"] == "Mar"  # "both rise sharply from the month before"
    change = months["profile"]["change"]
    assert change[2] > 0.1 and change[5] > 0.1  # March and June do
    # the PCA figure's alt text: the months furthest right rise from the month before, those
    # furthest left fall; three at the bottom and four at the top, as the text counts them
    edges = {k: months[f"seed0_{k}"].split(", ") for k in ("bottom", "top", "left", "right")}
    assert [len(edges[k]) for k in ("bottom", "top", "right", "left")] == [3, 4, 4, 3]
    assert all(change[months["months"].index(m)] > 0 for m in edges["right"])
    assert all(change[months["months"].index(m)] < 0 for m in edges["left"])
    # the leave-one-out R² the page states beside the in-sample one
    assert 0 < months["offset_r2_loo_min"] <= 1 and 0 < months["change_r2_loo_min"] <= 1


def test_max_norm_breaks_a_graph_that_saved_the_weight(capsys):
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        article.max_norm_shared()
    article.max_norm_clone()  # the clone fixes it
    assert "backward ran" in capsys.readouterr().out


def test_month_model_is_seeded_and_reproducible():
    model_a, losses_a = article.train_months(seed=3, epochs=40)
    model_b, losses_b = article.train_months(seed=3, epochs=40)
    assert losses_a == losses_b and torch.equal(model_a.month.weight, model_b.month.weight)
    assert losses_a[-1] < losses_a[0]
    model_c, _ = article.train_months(seed=4, epochs=40)
    assert not torch.equal(model_a.month.weight, model_c.month.weight)


def test_month_data_and_nearest_neighbours():
    from snippets.sequence import airline

    month, targets = article.month_data(airline.split(airline.load_airline())[0])
    assert month.shape == (108,) and targets.shape == (108, 2) and month[0] == 0  # 1950-01
    assert torch.allclose(targets.mean(0), torch.zeros(2), atol=1e-5)
    vectors = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    # measured from the rows' mean, as PCA centres them: rows 2 and 3 become each other's nearest
    assert article.nearest_by_cosine(vectors) == [1, 0, 3, 2]
    assert article.nearest_by_cosine(vectors + 5.0) == [1, 0, 3, 2]  # a shared offset changes nothing


def test_masked_mean_undoes_the_dilution_by_padding(capsys):
    article.text_pipeline()
    out = capsys.readouterr().out
    assert "words per sentence: [3.0, 6.0, 2.0]" in out
    ratios = torch.tensor([[3 / 6] * 4, [1.0] * 4, [2 / 6] * 4])
    shown = out.split("per sentence:\n", 1)[1]
    for row in ratios:  # the plain mean is the masked mean times length / padded length
        assert f"{row[0].item():.4f}" in shown
