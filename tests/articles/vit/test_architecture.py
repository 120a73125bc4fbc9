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
    # without DeiT-Tiny weights (the default build) the DeiT paragraph is a note, and no plot is drawn
    deit = job_values(built_site, "vit-deit-pos-structure")
    if not deit["available"]:
        from tests.conftest import page_body, page_html

        for lang, title in (("ko", "DeiT-Tiny의 위치 임베딩"), ("en", "DeiT-Tiny's position embeddings")):
            page = page_body(page_html(built_site.dir, "vit/architecture", lang))
            assert [n for n in page.select(".admonition.note") if title in n.get_text()], lang
            assert not page.select('img[src*="vit-deit-pos-similarity"]')


def test_with_deit_tiny_weights_its_position_embeddings_are_measured_and_drawn(monkeypatch, tmp_path):
    """The path the published site takes: a DeiT-Tiny weights file (random weights, written here);
    the measures are the digits model's, on DeiT-Tiny's 14×14 grid, and the plot is one mosaic."""
    import huggingface_hub.constants
    import timm
    import torch
    from safetensors.torch import save_file

    from snippets.articles.vit import architecture
    from snippets.build.theme import theme
    from snippets.vit import attention_maps

    torch.manual_seed(0)
    state = timm.create_model(attention_maps.DEIT_TINY, pretrained=False).state_dict()
    path = tmp_path / "deit-tiny.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    assert architecture.deit_pos_structure({"available": False}) == {"available": False}
    monkeypatch.setenv(attention_maps.WEIGHTS_ENV, str(path))
    structure = architecture.deit_pos_structure({"available": True, "grid": 14})
    assert structure["available"] is True and structure["grid"] == 14 and structure["patches"] == 196
    assert len(structure["by_distance"]) == 26 and sum(structure["pairs"].values()) == 196 * 195 // 2
    assert 0 <= structure["nearest_is_neighbour"] <= 196
    with theme("en-light").context():
        fig = next(architecture.deit_pos_similarity([theme("en-light")], structure))
    assert len(fig.axes) == 2  # the mosaic and its colour bar
    assert fig.axes[0].get_images()[0].get_array().shape == (14 * 15 - 1, 14 * 15 - 1)
