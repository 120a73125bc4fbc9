"""The ViT fine-tuning article (snippets/articles/vit/fine_tuning.py): its jobs' helpers and the
claims its page makes about the build's numbers."""

import pytest

from snippets.articles.vit import fine_tuning as article
from tests.conftest import job_values


def test_vit_fine_tuning_claims_hold(built_site):
    """What /vit/fine-tuning/ says about its two experiments; if a rebuild changes the numbers so that
    a sentence no longer holds, this fails and the sentence has to change."""
    res, swap = job_values(built_site, "vit-finetune-resolution"), job_values(built_site, "vit-finetune-head-swap")
    runs = res["runs"]
    assert (res["before"]["tokens"], res["after"]["tokens"]) == (17, 65)  # "a 4×4 grid ... an 8×8 grid"
    # resampled is highest from the start and stays ahead; "well below" its 16×16 accuracy before fine-tuning
    for step in ("at_0", "at_50", "at_100", "at_300"):
        assert runs["resample"][step] > runs["new_pos"][step] > runs["scratch"][step], step
    assert runs["resample"]["at_0"] < res["native"] - 0.05
    assert runs["resample"]["final"] > runs["resample"]["at_0"]  # "fine-tuning brings it back"
    assert runs["new_pos"]["final"] < runs["resample"]["final"] - 0.03  # "still at ..." (has to relearn)
    assert runs["scratch"]["final"] < 0.8  # "only reaches"
    # no position embeddings "throws the layout away"; new random ones start about where none at all stand
    assert res["no_pos"]["native"] < res["native"] - 0.2 and res["no_pos"]["bigger"] < res["no_pos"]["native"]
    assert abs(runs["new_pos"]["at_0"] - res["no_pos"]["bigger"]) < 0.03
    assert res["similarity_change"]["correlation"] > 0.99  # "fine-tuning changes it little"
    assert res["threads"] == swap["threads"] == 1  # "on one CPU thread"
    # head swap: both new-head models start from the share of fives; the swap leads early, scratch overtakes
    fives = swap["runs"]["swap"]["at_0"]
    assert swap["runs"]["probe"]["at_0"] == fives and 0.15 < fives < 0.25
    assert swap["runs"]["swap"]["at_50"] > swap["runs"]["scratch"]["at_50"] + 0.1  # "clearly helps early on"
    assert swap["scratch_ahead_from"] is not None and swap["scratch_ahead_from"] < swap["steps"]
    assert swap["runs"]["scratch"]["final"] > swap["runs"]["swap"]["final"]
    # the SGD probe levels off below what a converged linear head reaches on the same features, and
    # that is still below fine-tuning everything and training from scratch
    assert swap["runs"]["probe"]["final"] < swap["linear_fit"] - 0.05
    assert swap["linear_fit"] < swap["runs"]["swap"]["final"] < swap["runs"]["scratch"]["final"]
    probe = swap["runs"]["probe"]["history"]["test_accuracy"]
    assert max(probe[-4:]) - min(probe[-4:]) < 0.03  # "levels off"

    from snippets.vit.digits import load_checkpoint

    model, meta = load_checkpoint(next(built_site.cache.glob("jobs/vit-finetune-resolution/*/vit-digits-32.pt")))
    assert model.config.img_size == 32 and meta["fine_tuned_from"] == "vit-digits.pt"




def test_a_table_step_that_was_not_evaluated_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\[50, 100, 300\] are not among \[0, 25\]"):
        article.summary({"step": [0, 25], "test_accuracy": [0.1, 0.2], "train_loss": [1.0]})
