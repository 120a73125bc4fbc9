"""Temporal Convolutional Networks: causal and dilated 1-D convolutions, the residual
block, the stack, and its receptive field (computed by formula and measured with
gradients).

Bai, Kolter & Koltun (2018), "An Empirical Evaluation of Generic Convolutional and
Recurrent Networks for Sequence Modeling", arXiv:1803.01271.
The article /sequence/tcn/ shows the sections between the ``--8<--`` markers.

Every module here takes and returns tensors laid out as ``nn.Conv1d`` wants them:
(batch, channels, length).
"""

from __future__ import annotations

# --8<-- [start:imports]
import copy
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

# --8<-- [end:imports]


# --8<-- [start:checks]
def _check_positive(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")


def _check_dropout(dropout: float) -> None:
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")


def check_input(x: torch.Tensor, channels: int) -> None:
    """Raise a ValueError unless ``x`` is (batch, ``channels``, length)."""
    if x.ndim != 3 or x.shape[1] != channels:
        raise ValueError(
            f"expected input of shape (batch, {channels}, length), got {tuple(x.shape)}"
        )


# --8<-- [end:checks]


# --8<-- [start:causal-conv]
class CausalConv1d(nn.Conv1d):
    """A dilated convolution whose output at t sees only inputs at t, t−d, …, t−(k−1)·d.

    Pads (k−1)·d zeros on the left and none on the right, so the output is as long as
    the input.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1
    ):
        _check_positive("kernel_size", kernel_size)
        _check_positive("dilation", dilation)
        # no built-in padding
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation)
        self.left_padding = (kernel_size - 1) * dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_channels)
        x = F.pad(x, (self.left_padding, 0))  # (B, C_in, L) -> (B, C_in, (k-1)·d + L)
        return super().forward(x)  # (B, C_out, L)


# --8<-- [end:causal-conv]


# --8<-- [start:chomp]
class Chomp1d(nn.Module):
    """Drops the last ``chomp_size`` time steps: (B, C, L + chomp_size) -> (B, C, L)."""

    def __init__(self, chomp_size: int):
        super().__init__()
        if chomp_size < 0:
            raise ValueError(f"chomp_size must be at least 0, got {chomp_size}")
        self.chomp_size = chomp_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, : x.shape[-1] - self.chomp_size]  # (B, C, L+chomp) -> (B, C, L)


def chomped_conv1d(
    in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1
) -> nn.Sequential:
    """The paper's form of the same causal convolution: pad (k−1)·d on both sides, then
    chomp the (k−1)·d right-most outputs, which lie past the end of the input."""
    _check_positive("kernel_size", kernel_size)
    _check_positive("dilation", dilation)
    padding = (kernel_size - 1) * dilation
    return nn.Sequential(
        # length L + 2p - p
        nn.Conv1d(
            in_channels, out_channels, kernel_size, padding=padding, dilation=dilation
        ),
        Chomp1d(padding),  # (B, C_out, L + p) -> (B, C_out, L)
    )


# --8<-- [end:chomp]


# --8<-- [start:same-output]
def padding_difference(
    kernel_size: int = 3, dilation: int = 2, length: int = 20, seed: int = 0
) -> float:
    """Largest absolute difference between left padding and pad-both-sides-then-chomp,
    given the same weights and the same input."""
    torch.manual_seed(seed)
    left = CausalConv1d(4, 5, kernel_size, dilation)
    chomped = chomped_conv1d(4, 5, kernel_size, dilation)
    chomped[0].load_state_dict(left.state_dict())  # the very same weight and bias
    x = torch.randn(2, 4, length)  # (B, C_in, L)
    with torch.no_grad():
        return (left(x) - chomped(x)).abs().max().item()


# --8<-- [end:same-output]


# --8<-- [start:block]
class TemporalBlock(nn.Module):
    """Two weight-normalised dilated causal convolutions, each followed by ReLU and
    dropout, plus a residual connection (through a 1×1 convolution when the widths
    differ)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        dilation: int,
        dropout: float = 0.0,
    ):
        super().__init__()
        _check_positive("in_channels", in_channels)
        _check_positive("out_channels", out_channels)
        _check_dropout(dropout)
        self.in_channels = in_channels
        conv1 = CausalConv1d(in_channels, out_channels, kernel_size, dilation)
        conv2 = CausalConv1d(out_channels, out_channels, kernel_size, dilation)
        self.body = nn.Sequential(
            weight_norm(conv1),
            nn.ReLU(),
            nn.Dropout(dropout),
            weight_norm(conv2),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        # the skip path must have out_channels too, so that the sum is defined
        self.skip = (
            nn.Conv1d(in_channels, out_channels, 1)
            if in_channels != out_channels
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_channels)
        return torch.relu(self.body(x) + self.skip(x))  # (B, C_in, L) -> (B, C_out, L)


# --8<-- [end:block]


# --8<-- [start:tcn]
class TCN(nn.Module):
    """Temporal blocks with dilations 1, 2, 4, …, one block per entry of ``channels``
    (its output width), and a linear head.

    ``model(x)`` applies the head to the last time step:
    (B, C_in, L) -> (B, out_features).
    ``model(x, return_sequence=True)`` applies it to every step:
    (B, C_in, L) -> (B, out_features, L); the output at step t depends on inputs up to
    step t only.
    """

    def __init__(
        self,
        in_channels: int,
        out_features: int,
        channels: Sequence[int],
        kernel_size: int = 2,
        dropout: float = 0.0,
    ):
        super().__init__()
        if len(channels) == 0:
            raise ValueError(
                "channels must list the width of at least one block, got an empty list"
            )
        _check_positive("in_channels", in_channels)
        _check_positive("out_features", out_features)
        _check_positive("kernel_size", kernel_size)
        _check_dropout(dropout)
        self.in_channels = in_channels
        self.kernel_size = kernel_size
        widths = [in_channels, *channels]
        blocks = [
            TemporalBlock(widths[i], c_out, kernel_size, dilation=2**i, dropout=dropout)
            for i, c_out in enumerate(channels)
        ]
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(widths[-1], out_features)

    @property
    def receptive_field(self) -> int:
        return receptive_field(self.kernel_size, len(self.blocks))

    def forward(self, x: torch.Tensor, return_sequence: bool = False) -> torch.Tensor:
        check_input(x, self.in_channels)
        h = self.blocks(x)  # (B, C_in, L) -> (B, C_last, L)
        if not return_sequence:
            return self.head(h[:, :, -1])  # (B, C_last) -> (B, out_features)
        y = self.head(h.transpose(1, 2))  # (B, L, C_last) -> (B, L, out)
        return y.transpose(1, 2)  # (B, L, out) -> (B, out, L)


# --8<-- [end:tcn]


# --8<-- [start:receptive-field]
def receptive_field(kernel_size: int, n_blocks: int) -> int:
    """How many input steps one output step sees: each block has two convolutions with
    dilation 2^i, and each adds (k−1)·2^i steps, so 1 + 2(k−1)(1 + 2 + … + 2^(n−1))."""
    _check_positive("kernel_size", kernel_size)
    _check_positive("n_blocks", n_blocks)
    return 1 + 2 * (kernel_size - 1) * (2**n_blocks - 1)


def input_steps_reached(model: nn.Module, length: int) -> torch.Tensor:
    """Which input steps the last output step depends on: (length,) booleans, found by
    backpropagating from the last output step and looking for nonzero gradients.

    A ReLU whose input is negative passes no gradient, so a random model on a random
    input can hide some connections. The measurement therefore uses a copy of the model
    whose parameters are all positive, fed a positive input: every pre-activation is
    then positive, every ReLU passes its gradient on, and a gradient is zero only where
    no path exists.
    """
    _check_positive("length", length)
    probe = copy.deepcopy(model).double().eval()  # eval: no dropout
    with torch.no_grad():
        for p in probe.parameters():  # with weight norm: the direction v and the gain g
            p.copy_(p.abs() + 0.1)
    x = torch.rand(1, model.in_channels, length, dtype=torch.float64)  # (1, C_in, L)
    x = (x + 0.5).requires_grad_()  # all positive
    if isinstance(probe, TCN):
        out = probe(x, return_sequence=True)  # (1, C_out, L)
    else:
        out = probe(x)  # (1, C_out, L)
    out[:, :, -1].sum().backward()  # the last output step only
    return x.grad.abs().sum(dim=(0, 1)) > 0  # (1, C_in, L) -> (L,)


def measured_receptive_field(model: nn.Module, length: int) -> int:
    """How many input steps the last output step depends on. ``length`` must be larger
    than the receptive field, or the count stops at ``length``. (For a TCN these steps
    are the last ``receptive_field`` ones without a gap; a lone dilated convolution
    leaves gaps.)"""
    return int(input_steps_reached(model, length).sum())


# --8<-- [end:receptive-field]
