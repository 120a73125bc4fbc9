"""The ViT implementation article (snippets/articles/vit/implementation.py): the claims its page
makes about the build's numbers and the digits checkpoint."""

from tests.conftest import job_values


def test_vit_implementation_claims_hold(built_site):
    """timm equality, the parameter breakdown and the digits run, as the page states them."""
    check, parts, run = (job_values(built_site, j) for j in ("vit-timm-check", "vit-param-breakdown", "vit-digits"))
    assert check["max_diff"] < 1e-5 and check["ours"] == check["timm"] == 5_717_416  # the targets
    tiny = parts["deit_tiny"]["block"]
    assert 1.8 < tiny["mlp"] / tiny["attn"] < 2.2  # "about twice as many parameters as attention"
    assert run["accuracy"] >= 0.97 and run["seconds"] < 60  # "above the dashed 97 % line", under a minute
