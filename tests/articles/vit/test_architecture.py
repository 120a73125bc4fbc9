"""The ViT architecture article (snippets/articles/vit/architecture.py): the claims its page makes
about the published model sizes and the digits model's position embeddings."""

from tests.conftest import job_values


def test_vit_architecture_claims_hold(built_site):
    sizes = job_values(built_site, "vit-sizes")
    assert 0.005 < 307e6 / sizes["vit_l_16"]["parameters"] - 1 < 0.015  # "about 1 % above ours"
    for name, paper_millions in (("deit_ti", 5), ("deit_s", 22), ("deit_b", 86), ("vit_b_16", 86), ("vit_h_14", 632)):
        assert sizes[name]["parameters"] // 10**6 == paper_millions, name  # "the papers round down"

    import torch

    from snippets.vit.digits import load_checkpoint

    model, _ = load_checkpoint(next(built_site.cache.glob("jobs/vit-digits/*/vit-digits.pt")))
    pos = model.pos_embed.detach()[0, 1:]
    unit = pos / pos.norm(dim=1, keepdim=True)
    similarity = unit @ unit.T
    g = model.config.grid_size
    rows, cols = torch.arange(g * g) // g, torch.arange(g * g) % g
    distance = (rows[:, None] - rows[None]).abs() + (cols[:, None] - cols[None]).abs()
    assert (similarity.argmax(dim=1) == torch.arange(g * g)).all()  # the brightest cell is the patch itself
    assert similarity[distance == 1].mean() > similarity[distance >= 3].mean()  # neighbours are more alike
