"""An inverse-STFT head for student decoders (iSTFTNet's idea).

A HiFi-GAN decoder spends as much compute in its last upsampling stage as in
the one before it: the channels halve but the samples quadruple. The head
replaces the last ``stages`` upsampling stages (and ``conv_post``) with one
convolution that predicts, per frame of the remaining stages' output, a
log-magnitude and a phase for each bin of a short STFT (hop = the stages'
upsampling, FFT size 4 x hop), and a fixed transposed convolution that does
the inverse real DFT, the Hann synthesis window and the overlap-add in one
standard op. The graph stays Conv/ConvTranspose + elementwise ops, so both
runtimes run it on their dense kernels.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn

from ..config import check_int
from .model import Generator
from .prune import _conv

__all__ = ["InverseStftHead", "attach_istft_head", "head_nodes"]

KERNEL = 7
MAX_LOG_MAGNITUDE = 6.0  # e^6 ~ 400 per bin: far above speech, keeps exp() finite
OVERLAP = 4  # FFT size / hop


def synthesis_basis(n_fft: int, hop: int) -> np.ndarray:
    """ConvTranspose1d weights (2 * bins, 1, n_fft): real parts' rows, then imaginary
    parts'; windowed and divided by the Hann window's overlap-added square, so that
    the STFT of a signal (Hann analysis window) gives the signal back."""
    bins = n_fft // 2 + 1
    n = np.arange(n_fft)
    k = np.arange(bins)[:, None]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / n_fft)  # periodic Hann
    weight = np.where((k == 0) | (k == n_fft // 2), 1.0, 2.0) / n_fft
    angle = 2 * np.pi * k * n / n_fft
    envelope = np.sum(window**2) / hop  # constant for a hop dividing n_fft / 2
    real = weight * np.cos(angle) * window / envelope
    imag = -weight * np.sin(angle) * window / envelope
    return np.concatenate([real, imag])[:, None, :].astype(np.float32)


class InverseStftHead(nn.Module):
    """Frames of ``channels`` features -> ``hop`` waveform samples per frame."""

    def __init__(self, channels: int, hop: int) -> None:
        super().__init__()
        self.hop, self.n_fft = hop, OVERLAP * hop
        bins = self.n_fft // 2 + 1
        self.conv = nn.Conv1d(channels, 2 * bins, KERNEL, padding=KERNEL // 2)
        self.register_buffer("basis", torch.from_numpy(synthesis_basis(self.n_fft, hop)))

    @property
    def padding(self) -> int:
        """Trimmed on each side, so that ``frames`` in give ``frames * hop`` out."""
        return (self.n_fft - self.hop) // 2

    def forward(self, x: Tensor) -> Tensor:
        log_magnitude, phase = self.conv(x).chunk(2, dim=1)
        magnitude = torch.exp(log_magnitude.clamp(max=MAX_LOG_MAGNITUDE))
        spectrum = torch.cat([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], 1)
        return nn.functional.conv_transpose1d(
            spectrum, self.get_buffer("basis"), stride=self.hop, padding=self.padding
        )


@torch.no_grad()
def attach_istft_head(dec: Generator, stages: int) -> Generator:
    """``dec`` (modified) with its last ``stages`` upsampling stages and ``conv_post``
    replaced by an :class:`InverseStftHead` of their upsampling (a new, untrained layer)."""
    check_int(f"istft_stages of a {dec.stages}-stage decoder", stages, low=1, high=dec.stages - 1)
    kept = dec.stages - stages
    ups = [_conv(dec, f"ups.{i}") for i in range(dec.stages)]
    hop = math.prod(up.stride[0] for up in ups[kept:])
    channels = ups[kept].in_channels
    for i in range(kept, dec.stages):
        delattr(dec.ups, str(i))
        for j in range(dec.kernels):
            delattr(dec.resblocks, str(i * dec.kernels + j))
    del dec.conv_post
    dec.stages = kept
    dec.head = InverseStftHead(channels, hop)
    return dec


def head_nodes(
    head: InverseStftHead, source: str, target: str, tag: str
) -> tuple[list[Any], list[Any]]:
    """ONNX nodes and initializers computing ``target = head(source)``."""
    from onnx import helper, numpy_helper

    def name(suffix: str) -> str:
        return f"{tag}_{suffix}"

    bins = head.n_fft // 2 + 1
    arrays = {
        "w": head.conv.weight.detach().cpu().numpy(),
        "b": cast(Tensor, head.conv.bias).detach().cpu().numpy(),
        "split": np.array([bins, bins], dtype=np.int64),
        "max": np.array(MAX_LOG_MAGNITUDE, dtype=np.float32),
        "basis": head.get_buffer("basis").cpu().numpy(),
    }
    initializers = [numpy_helper.from_array(a, name(k)) for k, a in arrays.items()]
    pad = KERNEL // 2
    nodes = [
        helper.make_node(
            "Conv",
            [source, name("w"), name("b")],
            [name("conv")],
            pads=[pad, pad],
            name=name("conv"),
        ),
        helper.make_node(
            "Split", [name("conv"), name("split")], [name("logmag"), name("phase")], axis=1
        ),
        helper.make_node("Min", [name("logmag"), name("max")], [name("clamped")]),
        helper.make_node("Exp", [name("clamped")], [name("mag")]),
        helper.make_node("Cos", [name("phase")], [name("cos")]),
        helper.make_node("Sin", [name("phase")], [name("sin")]),
        helper.make_node("Mul", [name("mag"), name("cos")], [name("real")]),
        helper.make_node("Mul", [name("mag"), name("sin")], [name("imag")]),
        helper.make_node("Concat", [name("real"), name("imag")], [name("spectrum")], axis=1),
        helper.make_node(
            "ConvTranspose",
            [name("spectrum"), name("basis")],
            [target],
            strides=[head.hop],
            pads=[head.padding, head.padding],
            name=name("overlap_add"),
        ),
    ]
    return nodes, initializers
