"""Write a trained decoder back into the voice's own decoder graph.

No tracing: the ONNX decoder made by :mod:`edgetts.split` already has the
right topology, and each of its convolution nodes is named after its module
(``/dec/ups.0/ConvTranspose``). Each node gets the module's weights: plain
float weights for a pruned or distilled decoder (the channel counts follow
from the weights, the graph has no shape constants), or, for a fake-quantised
layer, ``QuantizeLinear``/``DequantizeLinear`` on the input (uint8, the
trained scale) and int8 per-channel weights and int32 bias behind
``DequantizeLinear``: the layout OpenVINO runs as int8 convolutions. A decoder
with an inverse-STFT head (:mod:`edgetts.train.istft`) has the graph's last
stages cut off and the head's nodes put in their place. Standard ops only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .istft import InverseStftHead, head_nodes
from .model import Generator
from .quant import W_MAX, QuantConv

__all__ = ["export_decoder", "replace_layers"]

_CONVS = ("Conv", "ConvTranspose")


def _quantized(quant: QuantConv, tag: str) -> tuple[list[Any], list[Any], list[str]]:
    """Initializers, nodes and the convolution's new inputs for one int8 layer."""
    from onnx import helper, numpy_helper

    act_scale = float(torch.exp(quant.log_scale.detach()).item())
    w_scale = quant.weight_scale().detach().reshape(-1).numpy().astype(np.float32)
    weight = quant.conv.weight.detach().numpy()
    shape = [1, 1, 1]
    shape[quant.weight_axis] = -1
    w_int8 = np.clip(np.rint(weight / w_scale.reshape(shape)), -W_MAX, W_MAX).astype(np.int8)
    zero_point = int(quant.get_buffer("zero_point"))
    initializers = [
        numpy_helper.from_array(np.array(act_scale, np.float32), f"{tag}_x_scale"),
        numpy_helper.from_array(np.array(zero_point, np.uint8), f"{tag}_x_zero"),
        numpy_helper.from_array(w_int8, f"{tag}_w_int8"),
        numpy_helper.from_array(w_scale, f"{tag}_w_scale"),
        numpy_helper.from_array(np.zeros(len(w_scale), np.int8), f"{tag}_w_zero"),
    ]
    nodes = [
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
        initializers += [
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
    return initializers, nodes, inputs


def _plain(
    conv: nn.Conv1d | nn.ConvTranspose1d, tag: str
) -> tuple[list[Any], list[Any], list[str]]:
    from onnx import numpy_helper

    initializers = [numpy_helper.from_array(conv.weight.detach().numpy(), f"{tag}_w")]
    inputs = [f"{tag}_w"]
    if conv.bias is not None:
        initializers.append(numpy_helper.from_array(conv.bias.detach().numpy(), f"{tag}_b"))
        inputs.append(f"{tag}_b")
    return initializers, [], inputs


def _layer_path(node: Any) -> str:
    """``/dec/ups.0/ConvTranspose`` -> ``dec.ups.0``."""
    return ".".join(node.name.strip("/").split("/")[:-1])


def _with_head(
    nodes: list[Any], head: InverseStftHead, stage: int, prefix: str
) -> tuple[list[Any], list[Any]]:
    """``nodes`` up to the input of upsampling stage ``stage``, the head's nodes
    computing what ``conv_post``'s activation computed, and the nodes after it."""

    def first(path: str, op: str) -> Any:
        found = [n for n in nodes if n.op_type == op and _layer_path(n) == prefix + path]
        if not found:
            raise ValueError(f"the decoder graph has no {op} node of {prefix}{path}")
        return found[0]

    source = first(f"ups.{stage}", "ConvTranspose").input[0]
    post = first("conv_post", "Conv").output[0]
    target = next(n for n in nodes if post in n.input).output[0]  # after tanh
    producer = {out: i for i, n in enumerate(nodes) for out in n.output}

    def ancestors(tensor: str) -> set[int]:
        seen: set[int] = set()
        todo = [tensor]
        while todo:
            index = producer.get(todo.pop())
            if index is not None and index not in seen:
                seen.add(index)
                todo += nodes[index].input
        return seen

    body, cut = ancestors(source), ancestors(target)
    kept = [n for i, n in enumerate(nodes) if i in body or i not in cut]
    added, initializers = head_nodes(head, source, target, f"{prefix}head".replace(".", "_"))
    at = next((i for i, n in enumerate(kept) if target in n.input), len(kept))
    return [*kept[:at], *added, *kept[at:]], initializers


def export_decoder(decoder: nn.Module, source: Path, target: Path, prefix: str = "dec.") -> int:
    """Write ``source`` with ``decoder``'s layers to ``target``; return how many were written."""
    import onnx

    model = onnx.load(str(source))
    done = replace_layers(model, decoder, prefix)
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
    return done


def replace_layers(model: Any, decoder: nn.Module, prefix: str) -> int:
    """Give the convolutions under ``prefix`` in ``model`` (an ONNX ModelProto, edited
    in place) ``decoder``'s layers; return how many were written."""
    from onnx import helper

    graph = model.graph
    nodes: list[Any] = []
    added: list[Any] = []
    done = 0
    source_nodes = list(graph.node)
    if isinstance(decoder, Generator) and isinstance(decoder.head, InverseStftHead):
        source_nodes, added = _with_head(source_nodes, decoder.head, decoder.stages, prefix)
        done += 1
    for node in source_nodes:
        path = _layer_path(node)
        if node.op_type not in _CONVS or not path.startswith(prefix):
            nodes.append(node)
            continue
        layer = decoder.get_submodule(path[len(prefix) :])
        tag = path.replace(".", "_")
        if isinstance(layer, QuantConv):
            initializers, extra, inputs = _quantized(layer, tag)
            quantize = helper.make_node(
                "QuantizeLinear", [node.input[0], f"{tag}_x_scale", f"{tag}_x_zero"], [f"{tag}_xq"]
            )
            nodes += [quantize, *extra]
        elif isinstance(layer, (nn.Conv1d, nn.ConvTranspose1d)):
            initializers, extra, inputs = _plain(layer, tag)
            inputs = [node.input[0], *inputs]
        else:
            raise TypeError(f"{path} is a {type(layer).__name__}, not a convolution")
        added += initializers
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
    # The source's shape annotations carry its widths; runtimes infer the student's.
    del graph.value_info[:]
    return done
