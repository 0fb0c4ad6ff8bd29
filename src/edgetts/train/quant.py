"""Fake quantisation for the decoder, and its export as standard QDQ ONNX.

Every decoder convolution gets int8 weights (symmetric, one scale per output
channel, recomputed from the weights at each step) and a uint8 input
(asymmetric, one scale per tensor: the zero point is fixed by calibration, the
scale is learned, LSQ-style). Rounding passes gradients straight through.
:mod:`edgetts.train.export` writes the result as standard QDQ ONNX.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["FLOAT_LAYERS", "Q_MAX", "Q_MIN", "W_MAX", "QuantConv", "calibrate", "quantize_decoder"]

Q_MIN, Q_MAX = 0, 255  # uint8 activations
W_MAX = 127  # symmetric int8 weights


def _round_ste(x: Tensor) -> Tensor:
    return x + (torch.round(x) - x).detach()


class QuantConv(nn.Module):
    """A ``Conv1d``/``ConvTranspose1d`` with fake-quantised input and weights."""

    def __init__(self, conv: nn.Conv1d | nn.ConvTranspose1d) -> None:
        super().__init__()
        self.conv = conv
        self.transposed = isinstance(conv, nn.ConvTranspose1d)
        self.log_scale = nn.Parameter(torch.zeros(()))
        self.register_buffer("zero_point", torch.zeros(()))
        self.register_buffer("observed", torch.tensor([float("inf"), float("-inf")]))
        self.observing = False

    def _observed(self) -> Tensor:
        return self.get_buffer("observed")

    @property
    def weight_axis(self) -> int:
        return 1 if self.transposed else 0

    def weight_scale(self) -> Tensor:
        weight: Tensor = self.conv.weight
        dims = [d for d in range(3) if d != self.weight_axis]
        peak = weight.detach().abs().amax(dim=dims, keepdim=True)
        return torch.clamp(peak, min=1e-8) / W_MAX

    def quantized_weight(self) -> Tensor:
        scale = self.weight_scale()
        weight: Tensor = self.conv.weight
        return torch.clamp(_round_ste(weight / scale), -W_MAX, W_MAX) * scale

    def set_range(self, low: float, high: float) -> None:
        """Scale and zero point covering [low, high] (which always includes 0)."""
        low, high = min(low, 0.0), max(high, 0.0)
        scale = max((high - low) / (Q_MAX - Q_MIN), 1e-8)
        self.log_scale.data.fill_(float(np.log(scale)))
        self.get_buffer("zero_point").fill_(
            float(np.clip(round(Q_MIN - low / scale), Q_MIN, Q_MAX))
        )

    def forward(self, x: Tensor) -> Tensor:
        if self.observing:
            observed = self._observed()
            observed[0] = torch.minimum(observed[0], x.detach().min())
            observed[1] = torch.maximum(observed[1], x.detach().max())
            return self.conv(x)
        scale = torch.exp(self.log_scale)
        zero_point = self.get_buffer("zero_point")
        q = torch.clamp(_round_ste(x / scale) + zero_point, Q_MIN, Q_MAX)
        x = (q - zero_point) * scale
        conv, weight = self.conv, self.quantized_weight()
        if isinstance(conv, nn.ConvTranspose1d):
            return F.conv_transpose1d(
                x,
                weight,
                conv.bias,
                conv.stride,
                conv.padding,  # type: ignore[arg-type]  # an int tuple for ConvTranspose
                conv.output_padding,
                conv.groups,
                conv.dilation,
            )
        return conv._conv_forward(x, weight, conv.bias)


def _convs(module: nn.Module) -> Iterator[tuple[str, nn.Conv1d | nn.ConvTranspose1d]]:
    for name, child in module.named_modules():
        if isinstance(child, (nn.Conv1d, nn.ConvTranspose1d)):
            yield name, child


#: Left in float: the 32-to-1 output convolution costs almost nothing, and its
#: input's quantisation noise goes straight to the waveform (hiss in silences).
FLOAT_LAYERS = ("conv_post",)


def quantize_decoder(
    decoder: nn.Module, keep_float: tuple[str, ...] = FLOAT_LAYERS
) -> dict[str, QuantConv]:
    """Wrap the convolutions of ``decoder`` in place, but ``keep_float``; return them by path."""
    wrapped = {}
    for name, conv in list(_convs(decoder)):
        if name in keep_float:
            continue
        parent_name, _, attr = name.rpartition(".")
        parent = decoder.get_submodule(parent_name) if parent_name else decoder
        quant = QuantConv(conv)
        parent.add_module(attr, quant)
        wrapped[name] = quant
    return wrapped


@torch.no_grad()
def calibrate(decoder: nn.Module, quants: dict[str, QuantConv], latents: Iterable[Tensor]) -> None:
    """Min/max activation ranges from the fp32 decoder run on ``latents`` (PTQ's start)."""
    for q in quants.values():
        q.observing = True
        q._observed().copy_(torch.tensor([float("inf"), float("-inf")]))
    for z in latents:
        decoder(z)
    for q in quants.values():
        q.observing = False
        low, high = q._observed().tolist()
        q.set_range(low, high)
