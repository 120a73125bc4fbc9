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
    # the numbers the position-embedding paragraph states, recomputed from the checkpoint
    structure = job_values(built_site, "vit-pos-structure")
    for d in range(1, 2 * g - 1):
        assert abs(structure["by_distance"][f"d{d}"] - similarity[distance == d].mean().item()) < 1e-6
    means = [structure["by_distance"][f"d{d}"] for d in range(1, 2 * g - 1)]
    assert structure["falls_with_distance"] == all(a > b for a, b in zip(means, means[1:], strict=False))
    assert not structure["falls_with_distance"]  # the figure's alt text: "no clear pattern of near against far"
    others = ~torch.eye(g * g, dtype=torch.bool)
    nearest = torch.where(others, similarity, -torch.inf).argmax(dim=1)
    assert structure["nearest_is_neighbour"] == int((distance[torch.arange(g * g), nearest] == 1).sum())
    same_row = (rows[:, None] == rows[None]) & others
    assert abs(structure["same_row"] - similarity[same_row].mean().item()) < 1e-6
    # the pair counts under the table, and the chance level the sentence compares with
    assert sum(structure["pairs"].values()) == g * g * (g * g - 1) // 2
    neighbours = (distance == 1).sum(dim=1).float()
    assert abs(structure["chance_neighbour"] - (neighbours / (g * g - 1)).sum().item()) < 1e-6
