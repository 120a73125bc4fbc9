"""The TCN (snippets/sequence/tcn.py): causal convolutions, blocks, receptive field."""

import pytest
import torch

from snippets.sequence import tcn


@pytest.mark.parametrize(("kernel_size", "n_blocks"), [(2, 1), (2, 3), (3, 2), (5, 3), (1, 2)])
def test_receptive_field_formula_matches_the_gradient_measurement(kernel_size, n_blocks):
    torch.manual_seed(0)
    model = tcn.TCN(3, 2, [4] * n_blocks, kernel_size=kernel_size, dropout=0.2)
    expected = tcn.receptive_field(kernel_size, n_blocks)
    assert expected == 1 + 2 * (kernel_size - 1) * (2**n_blocks - 1)
    assert model.receptive_field == expected
    length = expected + 25
    assert tcn.measured_receptive_field(model, length) == expected
    reached = tcn.input_steps_reached(model, length)
    assert reached[-expected:].all() and not reached[:-expected].any()  # the last `expected` steps, no gap
    # a sequence shorter than the receptive field: every step is seen
    short = max(expected - 1, 1)
    assert tcn.measured_receptive_field(model, short) == short


def test_a_lone_dilated_convolution_has_gaps_that_the_stack_fills():
    conv = tcn.CausalConv1d(2, 3, kernel_size=4, dilation=3)
    reached = tcn.input_steps_reached(conv, length=30)
    assert reached.nonzero().flatten().tolist() == [20, 23, 26, 29]  # t, t-3, t-6, t-9 for t = 29
    assert tcn.measured_receptive_field(conv, length=30) == 4
    # one block with dilation 2: offsets {0, 2, 4} twice -> {0, 2, ..., 8}, still every other step
    block = tcn.TemporalBlock(2, 3, kernel_size=3, dilation=2)
    assert tcn.input_steps_reached(block, length=30).nonzero().flatten().tolist() == [21, 23, 25, 27, 29]


def test_measurement_leaves_the_model_untouched():
    model = tcn.TCN(2, 1, [4, 4], kernel_size=3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    tcn.measured_receptive_field(model, length=40)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert model.training and all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("module", [
    tcn.CausalConv1d(2, 3, kernel_size=3, dilation=2),
    tcn.TemporalBlock(2, 5, kernel_size=3, dilation=4),
    tcn.TCN(2, 1, [6, 6, 6], kernel_size=3),
])
def test_changing_a_future_input_leaves_earlier_outputs_exactly_unchanged(module):
    module.eval()
    torch.manual_seed(0)
    x = torch.randn(3, 2, 40)
    t = 25
    changed = x.clone()
    changed[:, :, t:] += torch.randn(3, 2, 40 - t) * 10
    run = (lambda v: module(v, return_sequence=True)) if isinstance(module, tcn.TCN) else module
    with torch.no_grad():
        a, b = run(x), run(changed)
    assert torch.equal(a[:, :, :t], b[:, :, :t])
    assert not torch.equal(a[:, :, t:], b[:, :, t:])


@pytest.mark.parametrize(("kernel_size", "dilation", "length"), [(2, 1, 10), (3, 2, 20), (5, 4, 7), (1, 1, 5)])
def test_chomp_and_left_padding_give_identical_outputs(kernel_size, dilation, length):
    # the same sums; a CPU convolution routine may order them differently for another padding
    assert tcn.padding_difference(kernel_size, dilation, length) < 1e-6
    x = torch.randn(2, 4, length)
    chomped = tcn.chomped_conv1d(4, 5, kernel_size, dilation)
    assert chomped(x).shape == (2, 5, length)


def test_shapes_through_the_stack_and_the_one_by_one_skip():
    model = tcn.TCN(2, 3, [8, 16, 16, 4], kernel_size=3)
    skips = [type(block.skip).__name__ for block in model.blocks]
    assert skips == ["Conv1d", "Conv1d", "Identity", "Conv1d"]
    assert [block.body[0].dilation[0] for block in model.blocks] == [1, 2, 4, 8]
    x = torch.randn(5, 2, 33)
    assert model(x).shape == (5, 3)
    full = model(x, return_sequence=True)
    assert full.shape == (5, 3, 33)
    assert torch.allclose(full[:, :, -1], model(x))
    hidden = x
    for block, width in zip(model.blocks, [8, 16, 16, 4], strict=True):
        hidden = block(hidden)
        assert hidden.shape == (5, width, 33)
        assert (hidden >= 0).all()  # ReLU after the sum


def test_weight_norm_is_the_parametrization_version():
    conv = tcn.TemporalBlock(2, 4, kernel_size=3, dilation=1).body[0]
    assert torch.nn.utils.parametrize.is_parametrized(conv, "weight")
    assert set(dict(conv.named_parameters())) == {"bias", "parametrizations.weight.original0",
                                                  "parametrizations.weight.original1"}


def test_dropout_is_active_only_in_training():
    model = tcn.TCN(2, 1, [8, 8], kernel_size=3, dropout=0.5)
    x = torch.randn(4, 2, 20)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    torch.manual_seed(0)
    a = model(x)
    assert not torch.equal(a, model(x))


@pytest.mark.parametrize(("build", "message"), [
    (lambda: tcn.CausalConv1d(2, 3, kernel_size=0), "kernel_size must be at least 1, got 0"),
    (lambda: tcn.CausalConv1d(2, 3, kernel_size=2, dilation=0), "dilation must be at least 1, got 0"),
    (lambda: tcn.TemporalBlock(2, 3, 2, dilation=-1), "dilation must be at least 1, got -1"),
    (lambda: tcn.TemporalBlock(2, 3, 2, 1, dropout=-0.1), r"dropout must be in \[0, 1\), got -0.1"),
    (lambda: tcn.TCN(2, 1, [4], kernel_size=0), "kernel_size must be at least 1, got 0"),
    (lambda: tcn.TCN(2, 1, [4], dropout=1.0), r"dropout must be in \[0, 1\), got 1.0"),
    (lambda: tcn.TCN(2, 1, []), "channels must list the width of at least one block"),
    (lambda: tcn.chomped_conv1d(2, 3, kernel_size=0), "kernel_size must be at least 1, got 0"),
    (lambda: tcn.receptive_field(0, 3), "kernel_size must be at least 1, got 0"),
    (lambda: tcn.receptive_field(2, 0), "n_blocks must be at least 1, got 0"),
])
def test_bad_configurations_are_clear_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(("module", "shape", "message"), [
    (tcn.TCN(2, 1, [4]), (5, 40), r"expected input of shape \(batch, 2, length\), got \(5, 40\)"),
    (tcn.TCN(2, 1, [4]), (5, 3, 40), r"expected input of shape \(batch, 2, length\), got \(5, 3, 40\)"),
    (tcn.TemporalBlock(3, 4, 2, 1), (5, 40, 3), r"expected input of shape \(batch, 3, length\), got \(5, 40, 3\)"),
    (tcn.CausalConv1d(1, 4, 2), (1, 2, 3, 4), r"expected input of shape \(batch, 1, length\), got \(1, 2, 3, 4\)"),
])
def test_wrong_input_shapes_are_clear_errors(module, shape, message):
    with pytest.raises(ValueError, match=message):
        module(torch.zeros(shape))
