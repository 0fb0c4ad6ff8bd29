"""Structured pruning of the HiFi-GAN decoder: whole channels, kept dense.

The decoder is a chain of stages: ``conv_pre`` makes stage 0, each upsampling
``ups.i`` makes stage ``i + 1``, whose residual blocks map it onto itself, and
``conv_post`` reads the last one. Removing channel ``c`` of a stage removes
the rows and columns of every convolution that writes or reads it, so the
result is a smaller dense network that runs faster on ordinary kernels.
A channel's importance is the L1 norm of all weights touching it.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from .model import Generator, _sub

__all__ = [
    "channel_importance",
    "compose",
    "decoder_widths",
    "keep_top",
    "narrow",
    "prune_decoder",
]

Keep = list[Tensor]  # kept channel indices of each stage, ascending


def _conv(dec: nn.Module, path: str) -> nn.Conv1d | nn.ConvTranspose1d:
    module = _sub(dec, path)
    if not isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)):
        raise TypeError(f"decoder layer {path} is a {type(module).__name__}, not a convolution")
    return module


def _stage_blocks(dec: Generator, stage: int) -> list[str]:
    """The residual-block convolutions working inside ``stage`` (stage 0 has none)."""
    if stage == 0:
        return []
    first = (stage - 1) * dec.kernels
    return [
        f"resblocks.{b}.convs.{k}"
        for b in range(first, first + dec.kernels)
        for k in range(dec.depth)
    ]


def decoder_widths(dec: Generator) -> list[int]:
    widths = [_conv(dec, "conv_pre").out_channels]
    widths += [_conv(dec, f"ups.{i}").out_channels for i in range(dec.stages)]
    return widths


@torch.no_grad()
def channel_importance(dec: Generator) -> list[Tensor]:
    """L1 norm of the weights touching each channel, per stage."""
    scores = []
    for stage in range(dec.stages + 1):
        writer = _conv(dec, "conv_pre" if stage == 0 else f"ups.{stage - 1}")
        reader = _conv(dec, "conv_post" if stage == dec.stages else f"ups.{stage}")
        w = writer.weight.abs()
        score = w.sum((0, 2)) if isinstance(writer, nn.ConvTranspose1d) else w.sum((1, 2))
        r = reader.weight.abs()
        score = score + (r.sum((1, 2)) if isinstance(reader, nn.ConvTranspose1d) else r.sum((0, 2)))
        for path in _stage_blocks(dec, stage):
            b = _conv(dec, path).weight.abs()
            score = score + b.sum((1, 2)) + b.sum((0, 2))
        scores.append(score)
    return scores


def keep_top(scores: list[Tensor], counts: list[int]) -> Keep:
    """The ``counts[s]`` highest-scoring channels of each stage ``s``, ascending."""
    if len(counts) != len(scores) or any(
        not 1 <= n <= len(s) for s, n in zip(scores, counts, strict=True)
    ):
        raise ValueError(f"cannot keep {counts} channels of stages {[len(s) for s in scores]}")
    return [
        torch.sort(torch.topk(s, n).indices).values for s, n in zip(scores, counts, strict=True)
    ]


def compose(outer: Keep, inner: Keep) -> Keep:
    """Indices into the original of ``inner`` (indices into the ``outer``-pruned decoder)."""
    return [o[i] for o, i in zip(outer, inner, strict=True)]


def _sliced(
    conv: nn.Conv1d | nn.ConvTranspose1d, out_idx: Tensor | None, in_idx: Tensor | None
) -> nn.Conv1d | nn.ConvTranspose1d:
    weight = conv.weight.detach()
    out_dim, in_dim = (1, 0) if isinstance(conv, nn.ConvTranspose1d) else (0, 1)
    if out_idx is not None:
        weight = weight.index_select(out_dim, out_idx)
    if in_idx is not None:
        weight = weight.index_select(in_dim, in_idx)
    kind = type(conv)
    new = kind(
        weight.shape[in_dim],
        weight.shape[out_dim],
        conv.kernel_size[0],
        stride=conv.stride[0],
        padding=int(conv.padding[0]),
        dilation=conv.dilation[0],
        bias=conv.bias is not None,
    )
    new.weight.data.copy_(weight)
    if conv.bias is not None and new.bias is not None:
        bias = conv.bias.detach()
        new.bias.data.copy_(bias if out_idx is None else bias.index_select(0, out_idx))
    return new


def narrow(module: nn.Module, path: str, out_idx: Tensor | None, in_idx: Tensor | None) -> None:
    """Replace the convolution at ``path`` in ``module`` by its ``out_idx`` output and
    ``in_idx`` input channels (``None``: all)."""
    parent, _, name = path.rpartition(".")
    holder = _sub(module, parent) if parent else module
    holder.add_module(name, _sliced(_conv(module, path), out_idx, in_idx))


@torch.no_grad()
def prune_decoder(dec: Generator, keep: Keep) -> Generator:
    """A copy of ``dec`` with only the ``keep`` channels of each stage."""
    if len(keep) != dec.stages + 1:
        raise ValueError(f"keep has {len(keep)} stages; the decoder has {dec.stages + 1}")
    pruned = copy.deepcopy(dec)
    narrow(pruned, "conv_pre", keep[0], None)
    for i in range(dec.stages):
        narrow(pruned, f"ups.{i}", keep[i + 1], keep[i])
    for stage in range(1, dec.stages + 1):
        for path in _stage_blocks(dec, stage):
            narrow(pruned, path, keep[stage], keep[stage])
    narrow(pruned, "conv_post", None, keep[-1])
    return pruned
