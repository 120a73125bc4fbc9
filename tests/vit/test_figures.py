"""Figure parts shared by the ViT articles (snippets/vit/figures.py)."""

import numpy as np
import pytest
import torch

from snippets.build.theme import theme
from snippets.vit.figures import no_weights_figure, similarity_colorbar, similarity_mosaic


def test_the_mosaic_puts_each_patch_s_map_at_its_place_with_gaps():
    grid, dim = 3, 8
    pos_embed = torch.randn(1, 1 + grid * grid, dim, generator=torch.Generator().manual_seed(0))
    mosaic = similarity_mosaic(pos_embed, grid)
    assert mosaic.shape == (grid * (grid + 1) - 1,) * 2
    assert np.isnan(mosaic[grid, :]).all() and np.isnan(mosaic[:, grid]).all()  # the gaps
    pos = pos_embed[0, 1:]  # the class token is left out
    unit = pos / pos.norm(dim=1, keepdim=True)
    expected = (unit @ unit.T).numpy()  # (N, N)
    r, c = 1, 2  # the map of patch (1, 2): its similarity with every patch, laid out on the grid
    top, left = r * (grid + 1), c * (grid + 1)
    np.testing.assert_allclose(mosaic[top : top + grid, left : left + grid],
                               expected[r * grid + c].reshape(grid, grid), rtol=1e-6)
    assert mosaic[top + r, left + c] == pytest.approx(1.0)  # a patch is most like itself


def test_the_mosaic_rejects_embeddings_of_another_grid():
    with pytest.raises(ValueError, match=r"a class token and a 4×4 grid, shape \(1, 17, D\), got \(1, 10, 8\)"):
        similarity_mosaic(torch.zeros(1, 10, 8), 4)


def test_colour_bar_and_no_weights_figure_speak_the_theme_s_language():
    cases = (("ko-light", "코사인 유사도", "가중치가 없어 맵을"), ("en-dark", "cosine similarity", "no maps"))
    for name, label, words in cases:
        t = theme(name)
        with t.context():
            from matplotlib.figure import Figure

            fig = Figure()
            ax = fig.subplots()
            image = ax.imshow(np.zeros((2, 2)), vmin=-1, vmax=1)
            similarity_colorbar(fig, image, ax, t)
            assert fig.axes[1].get_ylabel() == label
            empty = no_weights_figure(t, ko="맵을", en="maps")
            assert empty.axes == [] and words in empty.texts[0].get_text()
