"""Fake quantisation for the decoder, and its export as standard QDQ ONNX.

Every decoder convolution gets int8 weights (symmetric, one scale per output
channel, recomputed from the weights at each step) and a uint8 input
(asymmetric, one scale per tensor: the zero point is fixed by calibration, the
scale is learned, LSQ-style). Rounding passes gradients straight through.

The export does not trace PyTorch: it writes the trained weights into the
voice's own decoder graph and puts ``QuantizeLinear``/``DequantizeLinear`` in
front of each convolution (int8 weights with a per-channel
``DequantizeLinear``, int32 bias), the layout ONNX Runtime fuses into
``QLinearConv`` and OpenVINO runs as int8 convolutions. No custom ops.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["QuantConv", "calibrate", "export_qdq_decoder", "quantize_decoder"]

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


def quantize_decoder(decoder: nn.Module) -> dict[str, QuantConv]:
    """Wrap every convolution of ``decoder`` in place; return them by module path."""
    wrapped = {}
    for name, conv in list(_convs(decoder)):
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


def export_qdq_decoder(
    quants: dict[str, QuantConv], source: Path, target: Path, prefix: str = "dec."
) -> int:
    """Write ``source`` (the voice's decoder graph) with the trained int8 layers to ``target``."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    nodes, added, done = [], [], 0
    for node in graph.node:
        path = ".".join(node.name.strip("/").split("/")[:-1])
        quant = quants.get(path[len(prefix) :]) if path.startswith(prefix) else None
        if quant is None or node.op_type not in ("Conv", "ConvTranspose"):
            nodes.append(node)
            continue
        tag = path.replace(".", "_")
        act_scale = float(torch.exp(quant.log_scale.detach()).item())
        w_scale = quant.weight_scale().detach().reshape(-1).numpy().astype(np.float32)
        weight = quant.conv.weight.detach().numpy()
        shape = [1, 1, 1]
        shape[quant.weight_axis] = -1
        w_int8 = np.clip(np.rint(weight / w_scale.reshape(shape)), -W_MAX, W_MAX).astype(np.int8)
        added += [
            numpy_helper.from_array(np.array(act_scale, np.float32), f"{tag}_x_scale"),
            numpy_helper.from_array(
                np.array(int(quant.get_buffer("zero_point")), np.uint8), f"{tag}_x_zero"
            ),
            numpy_helper.from_array(w_int8, f"{tag}_w_int8"),
            numpy_helper.from_array(w_scale, f"{tag}_w_scale"),
            numpy_helper.from_array(np.zeros(len(w_scale), np.int8), f"{tag}_w_zero"),
        ]
        x = node.input[0]
        nodes += [
            helper.make_node(
                "QuantizeLinear", [x, f"{tag}_x_scale", f"{tag}_x_zero"], [f"{tag}_xq"]
            ),
            helper.make_node(
                "DequantizeLinear", [f"{tag}_xq", f"{tag}_x_scale", f"{tag}_x_zero"], [f"{tag}_x"]
            ),
            helper.make_node(
                "DequantizeLinear",
                [f"{tag}_w_int8", f"{tag}_w_scale", f"{tag}_w_zero"],
                [f"{tag}_w"],
                axis=quant.weight_axis,
            ),
        ]
        inputs = [f"{tag}_x", f"{tag}_w"]
        if quant.conv.bias is not None:
            bias_scale = (act_scale * w_scale).astype(np.float32)
            bias = np.rint(quant.conv.bias.detach().numpy() / bias_scale).astype(np.int32)
            added += [
                numpy_helper.from_array(bias, f"{tag}_b_int32"),
                numpy_helper.from_array(bias_scale, f"{tag}_b_scale"),
                numpy_helper.from_array(np.zeros(len(bias), np.int32), f"{tag}_b_zero"),
            ]
            nodes.append(
                helper.make_node(
                    "DequantizeLinear",
                    [f"{tag}_b_int32", f"{tag}_b_scale", f"{tag}_b_zero"],
                    [f"{tag}_b"],
                    axis=0,
                )
            )
            inputs.append(f"{tag}_b")
        for name in node.input[1:]:
            initializers.pop(name, None)
        del node.input[:]
        node.input.extend(inputs)
        nodes.append(node)
        done += 1
    used = {name for n in nodes for name in n.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend([*kept, *added])
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
    return done
