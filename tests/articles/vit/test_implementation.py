"""The ViT implementation article (snippets/articles/vit/implementation.py): the claims its page
makes about the build's numbers and the digits checkpoint."""

from tests.conftest import job_values


def test_vit_implementation_claims_hold(built_site):
    """timm equality, the parameter breakdown and the digits run, as the page states them."""
    check, parts, run = (job_values(built_site, j) for j in ("vit-timm-check", "vit-param-breakdown", "vit-digits"))
    # "the largest difference was .. with timm's fused attention .. and .. with its explicit softmax, which
    # adds the same terms in a different order": both float32 rounding; "the parameter counts are equal too"
    assert check["fused"] < 1e-5 and check["explicit"] < 1e-5
    assert check["max_diff"] == max(check["fused"], check["explicit"])
    assert check["ours"] == check["timm"] == 5_717_416  # DeiT-Tiny's count in timm
    tiny = parts["deit_tiny"]["block"]
    assert 1.8 < tiny["mlp"] / tiny["attn"] < 2.2  # "about twice as many parameters as attention"
    # the curves' alt text: "the loss falls quickly in the first epochs; test accuracy climbs over the first
    # epochs and levels off near its final value"
    loss, accuracy = run["history"]["train_loss"], run["history"]["test_accuracy"]
    assert loss[2] < loss[0] and accuracy[-1] > accuracy[0] and accuracy[-1] == run["accuracy"]
    assert max(accuracy[-5:]) - min(accuracy[-5:]) < 0.02
    # "the right digit gets 1 − ε + ε/10 and every other digit ε/10 ... its entropy, {loss_floor}
    # (the dashed line), so the training loss cannot approach zero; the last epoch's {final_loss}"
    import math

    eps = run["label_smoothing"]
    target = [1 - eps + eps / 10] + [eps / 10] * 9
    assert abs(run["loss_floor"] - -sum(p * math.log(p) for p in target)) < 1e-6
    assert run["final_loss"] == loss[-1] >= run["loss_floor"]  # cross-entropy is never below the target's entropy
    # "we therefore train on digits shifted at random by less than a patch"
    import inspect

    from snippets.vit import digits

    assert 0 < inspect.signature(digits.train).parameters["max_shift"].default < digits.DIGITS_CONFIG.patch_size
