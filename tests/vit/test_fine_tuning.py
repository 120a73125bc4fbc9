"""Fine-tuning at a higher resolution and with a new head (snippets/vit/fine_tuning.py)."""

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F

from snippets.vit import digits, fine_tuning
from snippets.vit.model import StateDictMismatchError, ViTConfig, load_timm_state_dict, resample_pos_embed

TINY = ViTConfig(img_size=16, patch_size=4, in_chans=1, num_classes=10, embed_dim=32, depth=2, num_heads=2,
                 mlp_ratio=2.0)


def tiny_data(n: int = 48, img_size: int = 16, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 1, img_size, img_size, generator=generator)
    y = torch.arange(n) % 10
    return (X, y), (X[:16], y[:16])


def test_resampled_copy_keeps_every_weight_and_resamples_the_position_embeddings():
    model = digits.make_model(TINY, seed=3)
    bigger = fine_tuning.at_resolution(model, 32, pos_embed="resample")
    assert bigger.config.img_size == 32 and bigger.pos_embed.shape == (1, 1 + 8 * 8, 32)
    assert torch.equal(bigger.pos_embed, resample_pos_embed(model.pos_embed.detach(), 8))
    big_state = bigger.state_dict()
    for name, tensor in model.state_dict().items():
        if name != "pos_embed":
            assert torch.equal(big_state[name], tensor), name
    assert bigger(torch.randn(2, 1, 32, 32)).shape == (2, 10)


def test_new_position_embeddings_keep_the_class_token_row_only():
    model = digits.make_model(TINY, seed=3)
    bigger = fine_tuning.at_resolution(model, 32, pos_embed="new", seed=5)
    assert torch.equal(bigger.pos_embed[:, :1], model.pos_embed[:, :1])
    patches = bigger.pos_embed[0, 1:]
    assert 0.01 < patches.std().item() < 0.03  # fresh truncated normal, std 0.02
    assert not torch.allclose(patches, resample_pos_embed(model.pos_embed.detach(), 8)[0, 1:])
    assert torch.equal(bigger.blocks[0].attn.qkv.weight, model.blocks[0].attn.qkv.weight)


def test_bad_resolution_requests_are_rejected():
    model = digits.make_model(TINY)
    with pytest.raises(ValueError, match="pos_embed must be 'resample' or 'new'"):
        fine_tuning.at_resolution(model, 32, pos_embed="keep")
    with pytest.raises(ValueError, match="img_size 30 is not divisible by patch_size 4"):
        fine_tuning.at_resolution(model, 30)
    bigger = digits.make_model(dataclasses.replace(TINY, img_size=32))
    with pytest.raises(StateDictMismatchError, match=r"pos_embed: expected \(1, 65, 32\), given \(1, 17, 32\)"):
        load_timm_state_dict(bigger, model.state_dict())


def test_zero_head_predicts_uniformly_and_only_the_head_moves_on_the_first_step():
    model = fine_tuning.replace_head(digits.make_model(TINY), num_classes=5)
    assert model.config.num_classes == 5 and model.head.weight.shape == (5, 32)
    (X, y), _ = tiny_data()
    logits = model.train()(X)
    assert torch.equal(logits, torch.zeros_like(logits))
    loss = F.cross_entropy(logits, y % 5)
    assert loss.item() == pytest.approx(math.log(5), abs=1e-6)
    loss.backward()
    moved = {name for name, p in model.named_parameters() if p.grad is not None and p.grad.abs().max() > 0}
    assert moved == {"head.weight", "head.bias"}


def test_bad_class_requests_are_rejected():
    data = (torch.zeros(4, 1), torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"distinct labels present in the data \(\[0, 1, 2, 3\]\), got \[1, 7\]"):
        fine_tuning.subset_classes(data, [1, 7])
    with pytest.raises(ValueError, match=r"got \[1, 1\]"):
        fine_tuning.subset_classes(data, [1, 1])
    with pytest.raises(ValueError, match="at least one class, got num_classes=0"):
        fine_tuning.replace_head(digits.make_model(TINY), 0)
    with pytest.raises(ValueError, match=r"must not overlap, got \[0, 1\] and \[1, 2\]"):
        fine_tuning.head_swap_experiment(old_classes=(0, 1), new_classes=(1, 2), pretrain_epochs=1, steps=1)


def test_subset_classes_relabels_in_the_given_order():
    X = torch.arange(10.0)[:, None]
    y = torch.tensor([5, 0, 7, 9, 5, 1, 8, 6, 2, 9])
    Xs, ys = fine_tuning.subset_classes((X, y), [5, 6, 7, 8, 9])
    assert Xs[:, 0].tolist() == [0, 2, 3, 4, 6, 7, 9]
    assert ys.tolist() == [0, 2, 4, 0, 3, 1, 4]


def test_train_steps_is_seeded_and_reproducible():
    train_data, test_data = tiny_data()

    def run(seed):
        model = digits.make_model(dataclasses.replace(TINY, drop_path_rate=0.1), seed=0)
        history = fine_tuning.train_steps(model, train_data, test_data, fine_tuning.FINE_TUNE, steps=5,
                                          eval_every=2, seed=seed)
        return history, model.state_dict()

    (h1, s1), (h2, s2), (h3, _) = run(0), run(0), run(1)
    assert h1["step"] == [0, 2, 4, 5] and len(h1["train_loss"]) == 5
    assert h1 == h2 and all(torch.equal(s1[k], s2[k]) for k in s1)
    assert h3["train_loss"] != h1["train_loss"]


def test_probe_trains_only_the_head():
    train_data, test_data = tiny_data()
    model = fine_tuning.replace_head(digits.make_model(TINY), num_classes=10)
    for name, param in model.named_parameters():
        param.requires_grad_(name.startswith("head."))
    body = {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("head.")}
    fine_tuning.train_steps(model, train_data, test_data, fine_tuning.FINE_TUNE, steps=3, seed=0)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in body.items())
    assert model.head.weight.abs().max() > 0


def test_bad_training_arguments_are_rejected():
    train_data, test_data = tiny_data()
    model = digits.make_model(TINY)
    with pytest.raises(ValueError, match="steps and eval_every must be at least 1, got steps=0"):
        fine_tuning.train_steps(model, train_data, test_data, fine_tuning.FINE_TUNE, steps=0)
    with pytest.raises(ValueError, match="recipe.optimizer must be 'sgd' or 'adamw', got 'adam'"):
        fine_tuning.make_optimizer(model, fine_tuning.Recipe("adam", lr=1e-3))


def test_resolution_experiment_runs_all_three_conditions_reproducibly():
    pretrained = digits.make_model(TINY, seed=1)
    first = fine_tuning.resolution_experiment(pretrained, 32, steps=2, seed=0)
    second = fine_tuning.resolution_experiment(pretrained, 32, steps=2, seed=0)
    assert list(first) == ["resample", "new_pos", "scratch"]
    for name in first:
        assert first[name]["history"] == second[name]["history"]
        assert first[name]["model"].config.img_size == 32
    # the pre-trained model itself is not changed by fine-tuning its copies
    untouched = digits.make_model(TINY, seed=1).state_dict()
    assert all(torch.equal(tensor, untouched[name]) for name, tensor in pretrained.state_dict().items())


def test_head_swap_experiment_is_reproducible_and_starts_from_the_uniform_prediction():
    first = fine_tuning.head_swap_experiment(pretrain_epochs=1, steps=2, seed=0)
    second = fine_tuning.head_swap_experiment(pretrain_epochs=1, steps=2, seed=0)
    assert first == second
    assert set(first) == {"pretrain", "swap", "probe", "scratch", "linear_fit"}
    assert 0.2 < first["linear_fit"]["accuracy"] <= 1.0  # a logistic regression on the frozen features
    _, (_, y_test) = digits.load_data(16)
    fives = (y_test == 5).sum().item() / (y_test >= 5).sum().item()
    # zero logits: argmax picks class 0 (the digit 5) for every image
    assert first["swap"]["history"]["test_accuracy"][0] == pytest.approx(fives)
    assert first["probe"]["history"]["test_accuracy"][0] == pytest.approx(fives)
    assert first["swap"]["n_test"] == (y_test >= 5).sum().item()


def test_without_clipping_gradients_are_left_alone():
    """FROM_SCRATCH does not clip (as the digits pre-training); FINE_TUNE clips at norm 1."""
    assert fine_tuning.FROM_SCRATCH.clip_norm is None and fine_tuning.FINE_TUNE.clip_norm == 1.0
    train_data, test_data = tiny_data()
    big = fine_tuning.Recipe("sgd", lr=1.0, clip_norm=None, warmup=0.0)
    clipped = dataclasses.replace(big, clip_norm=1e-3)
    moved = {}
    for name, recipe in (("free", big), ("clipped", clipped)):
        model = digits.make_model(TINY, seed=0)
        start = model.head.weight.detach().clone()
        fine_tuning.train_steps(model, train_data, test_data, recipe, steps=1, max_shift=0)
        moved[name] = (model.head.weight - start).norm().item()
    assert moved["clipped"] <= 1e-3 * 1.0001 < moved["free"]


