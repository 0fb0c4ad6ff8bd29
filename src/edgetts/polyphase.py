"""Rewrite each 1-D ``ConvTranspose`` as its polyphase equivalent.

A transposed convolution with stride ``s`` computes, for output sample
``t + pad = m*s + r`` (phase ``r`` in ``[0, s)``)::

    y[o, m*s + r - pad] = b[o] + sum_{c, j} x[c, m - j] * W[c, o, j*s + r]

so the ``s`` phases are ``s`` ordinary convolutions of kernel ``J = ceil(K/s)``
over the input, one per output channel group. One ``Conv`` with ``C_out * s``
outputs computes them all; a reshape, a transpose and a slice interleave the
phases and drop the padding. It is the same function (within float rounding:
the sums run in another order) with ``s`` times fewer multiplications by zero,
and an ordinary convolution, which fp32 and int8 kernels both run well, where
runtimes fall back to a generic GEMM for ``ConvTranspose``.

Only float weights and biases held as initializers are rewritten; a node with
groups, dilation, output padding or quantised weights is left as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["polyphase_model", "rewrite_file"]


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _rewritable(node: Any, inits: dict[str, Any]) -> bool:
    if node.op_type != "ConvTranspose" or len(node.input) < 2 or node.input[1] not in inits:
        return False
    if len(node.input) > 2 and node.input[2] and node.input[2] not in inits:
        return False
    attrs = _attrs(node)
    weight = inits[node.input[1]]
    plain = (
        attrs.get("group", 1) == 1
        and list(attrs.get("dilations", [1])) == [1]
        and not any(attrs.get("output_padding", [0]))
        and "output_shape" not in attrs
        and attrs.get("auto_pad", b"NOTSET") in ("NOTSET", b"NOTSET")
    )
    return plain and len(weight.dims) == 3 and weight.data_type == 1  # float32, 1-D conv


def _phase_weights(
    weight: np.ndarray, bias: np.ndarray | None, stride: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``Conv`` weight ``(C_out*s, C_in, J)`` and bias of the ``s`` phases."""
    c_in, c_out, kernel = weight.shape
    taps = -(-kernel // stride)
    padded = np.zeros((c_in, c_out, taps * stride), weight.dtype)
    padded[:, :, :kernel] = weight
    # padded[c, o, j*s + r] -> phase[o, r, c, J-1-j]: ONNX Conv correlates, so reverse taps.
    phases = padded.reshape(c_in, c_out, taps, stride)[:, :, ::-1, :]
    conv = np.ascontiguousarray(phases.transpose(1, 3, 0, 2)).reshape(c_out * stride, c_in, taps)
    full_bias = np.zeros(c_out, weight.dtype) if bias is None else bias
    return conv, np.repeat(full_bias, stride).astype(weight.dtype)


def polyphase_model(model: Any) -> int:
    """Rewrite ``model``'s ConvTranspose nodes in place; return how many were."""
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    rewritten = 0
    nodes: list[Any] = []
    for node in graph.node:
        if not _rewritable(node, inits):
            nodes.append(node)
            continue
        attrs = _attrs(node)
        stride = int(attrs.get("strides", [1])[0])
        pad_left, pad_right = [*attrs.get("pads", [0, 0]), 0, 0][:2]
        weight = numpy_helper.to_array(inits[node.input[1]])
        bias = numpy_helper.to_array(inits[node.input[2]]) if len(node.input) > 2 else None
        conv_w, conv_b = _phase_weights(weight, bias, stride)
        c_out, taps = weight.shape[1], conv_w.shape[2]
        # The phases run to taps*stride samples per input frame; the kernel's last
        # taps*stride - K of them are the zeros that padded it.
        drop_right = pad_right + taps * stride - weight.shape[2]
        tag = f"{node.name or node.output[0]}/polyphase"
        graph.initializer.extend(
            [
                numpy_helper.from_array(conv_w, f"{tag}/weight"),
                numpy_helper.from_array(conv_b, f"{tag}/bias"),
                numpy_helper.from_array(np.array([0, c_out, stride, -1], np.int64), f"{tag}/split"),
                numpy_helper.from_array(np.array([0, c_out, -1], np.int64), f"{tag}/join"),
                numpy_helper.from_array(np.array([pad_left], np.int64), f"{tag}/start"),
                numpy_helper.from_array(
                    np.array([-drop_right if drop_right else np.iinfo(np.int64).max], np.int64),
                    f"{tag}/end",
                ),
                numpy_helper.from_array(np.array([2], np.int64), f"{tag}/axis"),
            ]
        )
        nodes += [
            helper.make_node(
                "Conv",
                [node.input[0], f"{tag}/weight", f"{tag}/bias"],
                [f"{tag}/phases"],
                name=f"{tag}/Conv",
                kernel_shape=[taps],
                pads=[taps - 1, taps - 1],
            ),
            helper.make_node(
                "Reshape",
                [f"{tag}/phases", f"{tag}/split"],
                [f"{tag}/split_out"],
                name=f"{tag}/Split",
            ),
            helper.make_node(
                "Transpose",
                [f"{tag}/split_out"],
                [f"{tag}/interleaved"],
                name=f"{tag}/Interleave",
                perm=[0, 1, 3, 2],
            ),
            helper.make_node(
                "Reshape",
                [f"{tag}/interleaved", f"{tag}/join"],
                [f"{tag}/joined"],
                name=f"{tag}/Join",
            ),
            helper.make_node(
                "Slice",
                [f"{tag}/joined", f"{tag}/start", f"{tag}/end", f"{tag}/axis"],
                [node.output[0]],
                name=f"{tag}/Crop",
            ),
        ]
        rewritten += 1
    if rewritten:
        used = {name for n in nodes for name in n.input}
        kept = [t for t in graph.initializer if t.name in used]
        del graph.node[:]
        graph.node.extend(nodes)
        del graph.initializer[:]
        graph.initializer.extend(kept)
    return rewritten


def rewrite_file(source: Path, target: Path) -> int:
    """Write ``source`` with its ConvTranspose nodes rewritten to ``target``."""
    import onnx

    model = onnx.load(str(source))
    count = polyphase_model(model)
    onnx.save(model, str(target))
    return count
