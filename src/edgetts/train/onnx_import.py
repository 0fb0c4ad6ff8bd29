"""Read a Piper voice's ONNX graph back into PyTorch parameters.

Piper exports keep most parameter names (``dec.ups.0.weight``,
``enc_p.encoder.attn_layers.0.conv_q.weight``), but weight norm was folded at
export and the flow's convolution weights lost theirs (``onnx::Conv_8240``).
Every convolution node, though, is named after its module
(``/flow/flows.0/enc/in_layers.0/Conv``): so each ``Conv``/``ConvTranspose``
node gives its module path, its hyper-parameters (kernel, stride, padding,
dilation, groups) and its weight and bias, whatever the initializers are
called. The text embedding is the ``Gather`` on the ``input`` ids; the duration
predictor's first flow was exported as the constant ``exp(-logs)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError

__all__ = ["ConvSpec", "OnnxVoice", "read_onnx_voice"]


@dataclass(frozen=True)
class ConvSpec:
    transposed: bool
    in_channels: int
    out_channels: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    groups: int
    bias: bool


@dataclass(frozen=True)
class OnnxVoice:
    convs: dict[str, ConvSpec]  # module path -> convolution
    tensors: dict[str, np.ndarray]  # state-dict name -> value


def _module_path(node_name: str) -> str:
    """``/flow/flows.0/enc/in_layers.0/Conv`` -> ``flow.flows.0.enc.in_layers.0``."""
    return ".".join(node_name.strip("/").split("/")[:-1])


def read_onnx_voice(model_path: Path) -> OnnxVoice:
    """Every parameter of a single-speaker Piper VITS voice, by its PyTorch name."""
    import onnx
    from onnx import helper, numpy_helper

    graph = onnx.load(str(model_path)).graph
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    convs: dict[str, ConvSpec] = {}
    tensors: dict[str, np.ndarray] = {}
    for node in graph.node:
        if node.op_type in ("Conv", "ConvTranspose") and node.name.endswith(
            ("/Conv", "/ConvTranspose")
        ):
            path = _module_path(node.name)
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            weight = values[node.input[1]]
            pads = attrs.get("pads", [0, 0])
            if len(weight.shape) != 3 or pads[0] != pads[-1]:
                raise ModelLoadError(f"{model_path}: unexpected convolution {node.name}")
            groups = int(attrs.get("group", 1))
            transposed = node.op_type == "ConvTranspose"
            # Conv weights are (out, in / groups, k); ConvTranspose ones (in, out / groups, k).
            first, second = weight.shape[:2]
            in_ch, out_ch = (first, second * groups) if transposed else (second * groups, first)
            convs[path] = ConvSpec(
                transposed,
                int(in_ch),
                int(out_ch),
                int(weight.shape[2]),
                int(attrs.get("strides", [1])[0]),
                int(pads[0]),
                int(attrs.get("dilations", [1])[0]),
                groups,
                len(node.input) > 2,
            )
            tensors[f"{path}.weight"] = weight
            if len(node.input) > 2:
                tensors[f"{path}.bias"] = values[node.input[2]]
        elif node.op_type == "Gather" and node.input[1] == "input":
            tensors["enc_p.emb.weight"] = values[node.input[0]]
        elif node.op_type == "Mul" and node.name.startswith("/dp/flows.0/"):
            for name in node.input:
                if name in values:  # exp(-logs) of the ElementwiseAffine flow
                    tensors["dp.flows.0.logs"] = -np.log(values[name])
    for name, value in values.items():
        if name.startswith(("enc_p.", "dp.", "flow.", "dec.")) and name not in tensors:
            tensors.setdefault(name, value)
    if "enc_p.emb.weight" not in tensors or not any(p.startswith("dec.") for p in convs):
        raise ModelLoadError(f"{model_path} is not a Piper VITS voice (no text embedding/decoder)")
    return OnnxVoice(convs, tensors)
