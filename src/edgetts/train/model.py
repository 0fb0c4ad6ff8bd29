"""Piper's VITS inference graph in PyTorch, written for edgetts.

Text encoder (transformer with windowed relative attention), stochastic
duration predictor (rational-quadratic spline flows), alignment, flow
(WaveNet coupling layers) and HiFi-GAN decoder, as the ONNX export runs them,
with the module names of Piper's checkpoints so parameters load by name.
Every convolution is built from the ONNX node it replaces
(:mod:`edgetts.train.onnx_import`), so any Piper voice shape loads.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .onnx_import import ConvSpec, OnnxVoice, read_onnx_voice

__all__ = ["Generator", "VitsVoice"]

LRELU_SLOPE = 0.1
TAIL_BOUND = 5.0
MIN_BIN = 1e-3


def _conv(spec: ConvSpec) -> nn.Module:
    kind = nn.ConvTranspose1d if spec.transposed else nn.Conv1d
    return kind(
        spec.in_channels,
        spec.out_channels,
        spec.kernel,
        stride=spec.stride,
        padding=spec.padding,
        dilation=spec.dilation,
        groups=spec.groups,
        bias=spec.bias,
    )


def _count(convs: dict[str, ConvSpec], prefix: str) -> int:
    """How many ``prefix.N`` modules the graph has."""
    found = {p[len(prefix) :].split(".")[0] for p in convs if p.startswith(prefix)}
    return len({int(i) for i in found if i.isdigit()})


class _Convs(nn.Module):
    """Holds a graph's convolutions under their dotted names (``a.b.0``)."""

    def __init__(self, convs: dict[str, ConvSpec], prefix: str) -> None:
        super().__init__()
        for path, spec in convs.items():
            if path.startswith(prefix):
                self._place(path[len(prefix) :].split("."), _conv(spec))

    def _place(self, parts: list[str], module: nn.Module) -> None:
        parent: nn.Module = self
        for part in parts[:-1]:
            if not hasattr(parent, part):
                parent.add_module(part, nn.Module())
            parent = getattr(parent, part)
        parent.add_module(parts[-1], module)


class LayerNorm(nn.Module):
    """Layer norm over channels of a (batch, channels, time) tensor."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        x = F.layer_norm(x.transpose(1, -1), self.gamma.shape, self.gamma, self.beta, 1e-5)
        return x.transpose(1, -1)


def _sub(module: nn.Module, path: str) -> nn.Module:
    """A submodule by dotted path (typed, unlike attribute access on containers)."""
    return module.get_submodule(path)


class RelativeAttention(nn.Module):
    """Multi-head self-attention with relative position embeddings in a window."""

    def __init__(self, convs: nn.Module, channels: int, heads: int, window: int) -> None:
        super().__init__()
        self.conv_q, self.conv_k = _sub(convs, "conv_q"), _sub(convs, "conv_k")
        self.conv_v, self.conv_o = _sub(convs, "conv_v"), _sub(convs, "conv_o")
        self.heads, self.window, self.k_channels = heads, window, channels // heads
        self.emb_rel_k = nn.Parameter(torch.zeros(1, 2 * window + 1, self.k_channels))
        self.emb_rel_v = nn.Parameter(torch.zeros(1, 2 * window + 1, self.k_channels))

    def _relative(self, embeddings: Tensor, length: int) -> Tensor:
        pad = max(length - (self.window + 1), 0)
        start = max((self.window + 1) - length, 0)
        padded = F.pad(embeddings, (0, 0, pad, pad)) if pad else embeddings
        return padded[:, start : start + 2 * length - 1]

    @staticmethod
    def _to_absolute(x: Tensor) -> Tensor:
        b, h, length, _ = x.shape
        x = F.pad(x, (0, 1)).reshape(b, h, length * 2 * length)
        x = F.pad(x, (0, length - 1)).reshape(b, h, length + 1, 2 * length - 1)
        return x[:, :, :length, length - 1 :]

    @staticmethod
    def _to_relative(x: Tensor) -> Tensor:
        b, h, length, _ = x.shape
        x = F.pad(x, (0, length - 1)).reshape(b, h, length * length + length * (length - 1))
        x = F.pad(x, (length, 0)).reshape(b, h, length, 2 * length)
        return x[:, :, :, 1:]

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        b, d, t = x.shape
        q, k, v = (
            conv(x).view(b, self.heads, self.k_channels, t).transpose(2, 3)
            for conv in (self.conv_q, self.conv_k, self.conv_v)
        )
        q = q / math.sqrt(self.k_channels)
        scores = q @ k.transpose(-2, -1)
        rel_k = self._relative(self.emb_rel_k, t)
        scores = scores + self._to_absolute(q @ rel_k.unsqueeze(0).transpose(-2, -1))
        scores = scores.masked_fill(mask == 0, -1e4)
        attention = F.softmax(scores, dim=-1)
        out = attention @ v
        rel_v = self._relative(self.emb_rel_v, t)
        out = out + self._to_relative(attention) @ rel_v.unsqueeze(0)
        return self.conv_o(out.transpose(2, 3).reshape(b, d, t))


class TextEncoder(nn.Module):
    def __init__(self, convs: dict[str, ConvSpec], tensors: dict[str, Tensor]) -> None:
        super().__init__()
        symbols, channels = tensors["enc_p.emb.weight"].shape
        heads = channels // tensors["enc_p.encoder.attn_layers.0.emb_rel_k"].shape[-1]
        window = (tensors["enc_p.encoder.attn_layers.0.emb_rel_k"].shape[1] - 1) // 2
        layers = _count(convs, "enc_p.encoder.attn_layers.")
        self.emb = nn.Embedding(symbols, channels)
        self.channels = channels
        held = _Convs(convs, "enc_p.")
        self.proj = _sub(held, "proj")
        self.encoder = nn.Module()
        self.encoder.attn_layers = nn.ModuleList(
            RelativeAttention(_sub(held, f"encoder.attn_layers.{i}"), channels, heads, window)
            for i in range(layers)
        )
        self.encoder.ffn_layers = _sub(held, "encoder.ffn_layers")
        self.encoder.norm_layers_1 = nn.ModuleList(LayerNorm(channels) for _ in range(layers))
        self.encoder.norm_layers_2 = nn.ModuleList(LayerNorm(channels) for _ in range(layers))
        self.layers = layers
        self.kept = list(range(layers))  # the layers forward runs (fewer in a student)
        self.ffn_kernel = convs["enc_p.encoder.ffn_layers.0.conv_1"].kernel

    def _same(self, x: Tensor) -> Tensor:
        """The feed-forward convolutions' "same" padding (a separate op in the export)."""
        return F.pad(x, ((self.ffn_kernel - 1) // 2, self.ffn_kernel // 2))

    def forward(self, ids: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Hidden states, prior means and log-scales, all masked."""
        x = self.emb(ids).transpose(1, 2) * math.sqrt(self.channels) * mask
        attn_mask = mask.unsqueeze(2) * mask.unsqueeze(-1)
        enc = self.encoder
        for i in self.kept:
            attention = _sub(enc, f"attn_layers.{i}")(x, attn_mask)
            x = _sub(enc, f"norm_layers_1.{i}")(x + attention)
            conv_1, conv_2 = (
                _sub(enc, f"ffn_layers.{i}.conv_1"),
                _sub(enc, f"ffn_layers.{i}.conv_2"),
            )
            y = conv_2(self._same(F.relu(conv_1(self._same(x * mask))) * mask)) * mask
            x = _sub(enc, f"norm_layers_2.{i}")(x + y)
        x = x * mask
        m, logs = torch.chunk(self.proj(x) * mask, 2, dim=1)
        return x, m, logs


class DDSConv(nn.Module):
    """Dilated depth-separable convolutions (the duration predictor's trunk)."""

    def __init__(self, convs: nn.Module, channels: int, layers: int) -> None:
        super().__init__()
        self.convs_sep, self.convs_1x1 = _sub(convs, "convs_sep"), _sub(convs, "convs_1x1")
        self.norms_1 = nn.ModuleList(LayerNorm(channels) for _ in range(layers))
        self.norms_2 = nn.ModuleList(LayerNorm(channels) for _ in range(layers))
        self.layers = layers

    def forward(self, x: Tensor, mask: Tensor, g: Tensor | None = None) -> Tensor:
        if g is not None:
            x = x + g
        for i in range(self.layers):
            y = F.gelu(self.norms_1[i](_sub(self.convs_sep, str(i))(x * mask)))
            y = F.gelu(self.norms_2[i](_sub(self.convs_1x1, str(i))(y)))
            x = x + y
        return x * mask


def _spline_inverse(x: Tensor, widths: Tensor, heights: Tensor, slopes: Tensor) -> Tensor:
    """Inverse rational-quadratic spline on [-B, B], identity outside (linear tails)."""
    bins = widths.shape[-1]
    bound = TAIL_BOUND
    inside = (x >= -bound) & (x <= bound)
    constant = math.log(math.exp(1 - MIN_BIN) - 1)
    slopes = F.pad(slopes, (1, 1), value=constant)
    derivatives = MIN_BIN + F.softplus(slopes)

    def knots(raw: Tensor) -> tuple[Tensor, Tensor]:
        size = MIN_BIN + (1 - MIN_BIN * bins) * F.softmax(raw, dim=-1)
        cum = F.pad(torch.cumsum(size, dim=-1), (1, 0)) * 2 * bound - bound
        cum = torch.cat([cum[..., :1] * 0 - bound, cum[..., 1:-1], cum[..., -1:] * 0 + bound], -1)
        return cum, cum[..., 1:] - cum[..., :-1]

    cum_w, w = knots(widths)
    cum_h, h = knots(heights)
    edges = torch.cat([cum_h[..., :-1], cum_h[..., -1:] + 1e-6], -1)
    index = (torch.sum(x.unsqueeze(-1) >= edges, dim=-1) - 1).clamp(0, bins - 1).unsqueeze(-1)

    def pick(t: Tensor) -> Tensor:
        return t.gather(-1, index).squeeze(-1)

    x_w, b_w, x_h, b_h = pick(cum_w), pick(w), pick(cum_h), pick(h)
    delta = pick(h / w)
    d0, d1 = pick(derivatives[..., :-1]), pick(derivatives[..., 1:])
    offset = x - x_h
    a = offset * (d0 + d1 - 2 * delta) + b_h * (delta - d0)
    b = b_h * d0 - offset * (d0 + d1 - 2 * delta)
    c = -delta * offset
    root = (2 * c) / (-b - torch.sqrt(b.pow(2) - 4 * a * c))
    return torch.where(inside, root * b_w + x_w, x)


class ConvFlow(nn.Module):
    def __init__(self, convs: nn.Module, channels: int, layers: int, bins: int) -> None:
        super().__init__()
        self.pre, self.proj = _sub(convs, "pre"), _sub(convs, "proj")
        self.convs = DDSConv(_sub(convs, "convs"), channels, layers)
        self.bins, self.scale = bins, math.sqrt(channels)

    def reverse(self, x: Tensor, mask: Tensor, g: Tensor) -> Tensor:
        x0, x1 = torch.chunk(x, 2, dim=1)
        h = self.proj(self.convs(self.pre(x0), mask, g=g)) * mask
        b, c, t = x0.shape
        h = h.reshape(b, c, -1, t).permute(0, 1, 3, 2)
        n = self.bins
        x1 = _spline_inverse(
            x1, h[..., :n] / self.scale, h[..., n : 2 * n] / self.scale, h[..., 2 * n :]
        )
        return torch.cat([x0, x1], 1) * mask


class DurationPredictor(nn.Module):
    """VITS's stochastic duration predictor, run backwards from noise to log-durations."""

    def __init__(self, convs: dict[str, ConvSpec]) -> None:
        super().__init__()
        held = _Convs(convs, "dp.")
        self.pre, self.proj = _sub(held, "pre"), _sub(held, "proj")
        channels = convs["dp.pre"].out_channels
        layers = _count(convs, "dp.convs.convs_sep.")
        self.convs = DDSConv(_sub(held, "convs"), channels, layers)
        flows = sorted(
            int(i) for i in {p.split(".")[2] for p in convs if p.startswith("dp.flows.")}
        )
        bins = (convs[f"dp.flows.{flows[0]}.proj"].out_channels + 1) // 3
        flow_layers = _count(convs, f"dp.flows.{flows[0]}.convs.convs_sep.")
        built = {i: ConvFlow(_sub(held, f"flows.{i}"), channels, flow_layers, bins) for i in flows}
        self.flows = nn.ModuleDict({str(i): flow for i, flow in built.items()})
        # Inference runs them last to first (a plain list: already registered above).
        self._reversed: list[ConvFlow] = [built[i] for i in sorted(built, reverse=True)]
        self.flows_0 = nn.ParameterDict(
            {"m": nn.Parameter(torch.zeros(2, 1)), "logs": nn.Parameter(torch.zeros(2, 1))}
        )

    def forward(self, x: Tensor, mask: Tensor, noise: Tensor) -> Tensor:
        """Log-durations from hidden states ``x`` and noise of shape (b, 2, t)."""
        x = self.proj(self.convs(self.pre(x.detach()), mask)) * mask
        z = noise
        for flow in self._reversed:  # each after a channel flip
            z = flow.reverse(torch.flip(z, [1]), mask, x)
        z = torch.flip(z, [1])
        z = (z - self.flows_0["m"]) * torch.exp(-self.flows_0["logs"]) * mask
        return z[:, :1]


class ResidualFlow(nn.Module):
    """Mean-only affine coupling layers with WaveNet encoders, each after a flip."""

    def __init__(self, convs: dict[str, ConvSpec]) -> None:
        super().__init__()
        self.flows: nn.Module = _Convs(convs, "flow.flows.")
        self.indices = sorted({int(p.split(".")[2]) for p in convs if p.startswith("flow.flows.")})
        self.layers = _count(convs, f"flow.flows.{self.indices[0]}.enc.in_layers.")
        self.hidden = convs[f"flow.flows.{self.indices[0]}.pre"].out_channels

    def _coupling(self, index: int, x: Tensor, mask: Tensor) -> Tensor:
        flow = _sub(self.flows, str(index))
        x0, x1 = torch.chunk(x, 2, dim=1)
        h = _sub(flow, "pre")(x0) * mask
        skip = torch.zeros_like(h)
        for i in range(self.layers):
            acts = _sub(flow, f"enc.in_layers.{i}")(h)
            acts = torch.tanh(acts[:, : self.hidden]) * torch.sigmoid(acts[:, self.hidden :])
            res_skip = _sub(flow, f"enc.res_skip_layers.{i}")(acts)
            if i < self.layers - 1:
                h = (h + res_skip[:, : self.hidden]) * mask
                skip = skip + res_skip[:, self.hidden :]
            else:
                skip = skip + res_skip
        mean = _sub(flow, "post")(skip * mask) * mask
        return torch.cat([x0, (x1 - mean) * mask], 1)

    def forward(self, z_p: Tensor, mask: Tensor) -> Tensor:
        """The latent ``z`` from the prior sample (the flow run in reverse)."""
        x = z_p
        for index in reversed(self.indices):
            x = self._coupling(index, torch.flip(x, [1]), mask)
        return x


class Generator(nn.Module):
    """HiFi-GAN: latent frames -> waveform in [-1, 1]."""

    def __init__(self, convs: dict[str, ConvSpec]) -> None:
        super().__init__()
        held = _Convs(convs, "dec.")
        self.conv_pre, self.conv_post = _sub(held, "conv_pre"), _sub(held, "conv_post")
        self.ups, self.resblocks = _sub(held, "ups"), _sub(held, "resblocks")
        self.stages = _count(convs, "dec.ups.")
        self.kernels = _count(convs, "dec.resblocks.") // self.stages
        self.depth = _count(convs, "dec.resblocks.0.convs.")
        self.specs = {k: v for k, v in convs.items() if k.startswith("dec.")}  # to rebuild it
        self.head: nn.Module | None = None  # replaces the last stages (train.istft)

    @property
    def hop(self) -> int:
        """Waveform samples per latent frame."""
        return math.prod(v.stride for k, v in self.specs.items() if k.startswith("dec.ups."))

    def forward(self, z: Tensor) -> Tensor:
        x = self.conv_pre(z)
        for i in range(self.stages):
            x = _sub(self.ups, str(i))(F.leaky_relu(x, LRELU_SLOPE))
            total = torch.zeros(())
            for j in range(self.kernels):
                block = _sub(self.resblocks, str(i * self.kernels + j))
                y = x
                for k in range(self.depth):
                    y = y + _sub(block, f"convs.{k}")(F.leaky_relu(y, LRELU_SLOPE))
                total = total + y
            x = total / self.kernels
        if self.head is not None:
            return self.head(F.leaky_relu(x, LRELU_SLOPE))
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


def _sequence_mask(lengths: Tensor, size: int) -> Tensor:
    return (torch.arange(size, device=lengths.device)[None, :] < lengths[:, None]).float()


class VitsVoice(nn.Module):
    """The whole inference graph: phoneme ids -> waveform, plus what lies between."""

    def __init__(self, source: OnnxVoice) -> None:
        super().__init__()
        tensors = {k: torch.from_numpy(v.copy()) for k, v in source.tensors.items()}
        self.enc_p = TextEncoder(source.convs, tensors)
        self.dp = DurationPredictor(source.convs)
        self.flow = ResidualFlow(source.convs)
        self.dec = Generator(source.convs)
        state = {k.replace("dp.flows.0.", "dp.flows_0."): v for k, v in tensors.items()}
        missing, unexpected = self.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(f"weights do not fit: missing {missing}, unexpected {unexpected}")

    @classmethod
    def from_onnx(cls, model_path: Path) -> VitsVoice:
        return cls(read_onnx_voice(model_path)).eval()

    def prior(
        self,
        ids: Tensor,
        scales: tuple[float, float, float],
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``z_p``, frame mask and per-id durations (frames) for ids of shape (1, T)."""
        noise_scale, length_scale, noise_w = scales
        lengths = torch.tensor([ids.shape[1]], device=ids.device)
        x_mask = _sequence_mask(lengths, ids.shape[1]).unsqueeze(1)
        x, m, logs = self.enc_p(ids, x_mask)
        dp_noise = torch.randn(x.shape[0], 2, x.shape[2], generator=generator) * noise_w
        logw = self.dp(x, x_mask, dp_noise.to(x))
        durations = torch.ceil(torch.exp(logw) * x_mask * length_scale)
        frames = int(torch.clamp_min(durations.sum(), 1).item())
        ends = torch.cumsum(durations.reshape(-1), 0)
        frame = torch.arange(frames, device=ids.device).float()
        path = (frame[:, None] < ends[None, :]).to(m.dtype)
        path = path - F.pad(path, (1, 0))[:, :-1]  # frame f belongs to id i
        m_p, logs_p = m @ path.T, logs @ path.T
        noise = torch.randn(m_p.shape, generator=generator).to(m_p)
        z_p = m_p + noise * torch.exp(logs_p) * noise_scale
        return z_p, torch.ones(1, 1, frames, device=ids.device), durations.reshape(-1)

    def forward(
        self,
        ids: Tensor,
        scales: tuple[float, float, float],
        generator: torch.Generator | None = None,
    ) -> Tensor:
        z_p, mask, _ = self.prior(ids, scales, generator)
        return self.dec(self.flow(z_p, mask) * mask).reshape(-1)

    def decoder_parameters(self) -> Iterator[nn.Parameter]:
        return self.dec.parameters()
