"""Weight-only int8 for any ONNX graph: a quarter of the size, the same compute.

Each large float32 weight of a ``Conv``, ``ConvTranspose`` or ``MatMul`` is
stored as int8 with one symmetric scale per output channel and restored by a
standard ``DequantizeLinear`` whose output keeps the weight's old name, so the
rest of the graph is untouched. Activations stay float32: ONNX Runtime and
OpenVINO both run this file, and it sounds like the original (per-channel int8
weights change the output far less than the voice's own sampling noise).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["MIN_ELEMENTS", "compress_weights"]

MIN_ELEMENTS = 1024  # smaller tensors (biases, norms) cost more in scales than they save
#: Weight input index and output-channel axis of each op's weight.
_WEIGHT_AXIS = {"Conv": (1, 0), "ConvTranspose": (1, 1), "MatMul": (1, 1)}
_MIN_OPSET = 13  # per-axis DequantizeLinear


def _per_channel_int8(weight: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    other = tuple(i for i in range(weight.ndim) if i != axis)
    peak = np.abs(weight).max(axis=other)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    shape = [1] * weight.ndim
    shape[axis] = -1
    quantized = np.clip(np.rint(weight / scale.reshape(shape)), -127, 127).astype(np.int8)
    return quantized, scale


def compress_weights(
    source: Path,
    target: Path,
    *,
    keep: tuple[str, ...] = (),
    min_elements: int = MIN_ELEMENTS,
) -> int:
    """Write ``source`` with int8 weights to ``target``; return how many were compressed.

    Weights read by nodes whose name starts with a prefix in ``keep`` stay float32.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < _MIN_OPSET:
        raise ValueError(f"{source} uses opset {opset}; weight-only int8 needs {_MIN_OPSET}+")
    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    axes: dict[str, int] = {}
    for node in graph.node:
        index_axis = _WEIGHT_AXIS.get(node.op_type)
        if index_axis and len(node.input) > index_axis[0]:
            name = node.input[index_axis[0]]
            axis = -1 if node.name.startswith(keep) else index_axis[1]
            if name in initializers and axes.setdefault(name, axis) != axis:
                axes[name] = -1  # kept, or shared with conflicting layouts: leave it float
    dequantize = []
    for name, axis in axes.items():
        weight = numpy_helper.to_array(initializers[name])
        if axis < 0 or weight.dtype != np.float32 or weight.size < min_elements:
            continue
        quantized, scale = _per_channel_int8(weight, axis)
        graph.initializer.remove(initializers[name])
        graph.initializer.extend(
            [
                numpy_helper.from_array(quantized, f"{name}_int8"),
                numpy_helper.from_array(scale, f"{name}_scale"),
                numpy_helper.from_array(np.zeros_like(scale, np.int8), f"{name}_zero"),
            ]
        )
        dequantize.append(
            helper.make_node(
                "DequantizeLinear",
                [f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                [name],
                name=f"{name}_dequantize",
                axis=axis,
            )
        )
    # Prepended: they read only initializers, so the node order stays topological.
    nodes = [*dequantize, *graph.node]
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(target))
    return len(dequantize)
