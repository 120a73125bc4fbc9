"""The digits ViT: data handling, a short seeded training run, reproducibility, checkpoints."""

import re

import pytest
import torch

from snippets.vit import digits
from snippets.vit.model import ViTConfig


@pytest.fixture(scope="module")
def short_run():
    """Four epochs of the real configuration: a few seconds."""
    return digits.train_digits_vit(epochs=4, seed=0, warmup_epochs=1)


def test_split_sizes_and_scaling_uses_training_data_only():
    (X_train, y_train), (X_test, y_test) = digits.load_data(img_size=8)  # 8x8: no resampling
    assert X_train.shape == (1347, 1, 8, 8) and X_test.shape == (450, 1, 8, 8)
    assert set(y_train.tolist()) == set(y_test.tolist()) == set(range(10))
    assert abs(X_train.mean().item()) < 1e-5 and abs(X_train.std().item() - 1) < 1e-3
    assert abs(X_test.mean().item()) > 1e-4  # test pixels use the training statistics
    (X16, y16), _ = digits.load_data()
    assert X16.shape == (1347, 1, 16, 16) and torch.equal(y16, y_train)


def test_model_shapes():
    model = digits.make_model()
    assert model.config == digits.DIGITS_CONFIG
    assert model.config.num_patches == 16
    logits, attentions = model(torch.zeros(2, 1, 16, 16), return_attention=True)
    assert logits.shape == (2, 10)
    assert [a.shape for a in attentions] == [(2, 4, 17, 17)] * 4


def test_short_training_run_learns(short_run):
    model, history, seconds = short_run
    assert not model.training
    assert len(history["train_loss"]) == len(history["test_accuracy"]) == 4
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["test_accuracy"][-1] > 0.4  # chance is 0.1
    assert seconds > 0


def test_num_threads_is_restored():
    threads = torch.get_num_threads()
    digits.train_digits_vit(ViTConfig(img_size=8, patch_size=4, in_chans=1, num_classes=10, embed_dim=8, depth=1,
                                      num_heads=2), epochs=1, num_threads=threads + 1)
    assert torch.get_num_threads() == threads


def test_same_seed_gives_identical_results():
    model, history, _ = digits.train_digits_vit(epochs=1, seed=0, warmup_epochs=1)
    torch.manual_seed(123)  # the global generator's state before training does not matter
    again, same_seed, _ = digits.train_digits_vit(epochs=1, seed=0, warmup_epochs=1)
    assert same_seed == history
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values(),
                                                 strict=True))
    _, other_seed, _ = digits.train_digits_vit(epochs=1, seed=1, warmup_epochs=1)
    assert other_seed != history


def test_checkpoint_round_trip_gives_identical_outputs(short_run, tmp_path):
    model, history, _ = short_run
    path = digits.save_checkpoint(tmp_path / "nested" / "vit-digits.pt", model, history=history, img_size=16)
    loaded, metadata = digits.load_checkpoint(path)
    assert loaded.config == model.config and not loaded.training
    assert metadata == {"history": history, "img_size": 16}
    x = digits.load_data()[1][0][:8]
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_checkpoint_with_another_config(tmp_path):
    config = ViTConfig(img_size=8, patch_size=2, in_chans=1, num_classes=3, embed_dim=8, depth=1, num_heads=2)
    model = digits.make_model(config, seed=5).eval()
    loaded, metadata = digits.load_checkpoint(digits.save_checkpoint(tmp_path / "tiny.pt", model))
    assert loaded.config == config and metadata == {}
    x = torch.randn(2, 1, 8, 8)
    assert torch.equal(loaded(x), model(x))


def test_missing_checkpoint_names_the_path(tmp_path):
    path = tmp_path / "absent.pt"
    with pytest.raises(FileNotFoundError, match=re.escape(str(path))):
        digits.load_checkpoint(path)


def test_a_warm_up_as_long_as_the_run_peaks_at_half_the_rate_in_the_middle():
    """/vit/implementation/'s 3-epoch run: "the rate rises for the first half, reaching only half of
    the peak rate `lr`, and falls for the second"."""
    from snippets.vit.digits import warmup_cosine

    factor = warmup_cosine(129, 129)  # 3 epochs of 43 batches: warm-up and cosine over the same steps
    factors = [factor(step) for step in range(129)]
    peak = max(range(129), key=factors.__getitem__)
    assert 0.45 < factors[peak] < 0.51 and abs(peak - 64) <= 1
    assert all(a < b for a, b in zip(factors[:peak], factors[1 : peak + 1], strict=True))
    assert all(a > b for a, b in zip(factors[peak:-1], factors[peak + 1 :], strict=True))
