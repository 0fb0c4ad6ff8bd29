"""The polyphase rewrite of ConvTranspose: the same function, checked on ONNX Runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from edgetts.polyphase import polyphase_model, rewrite_file
from edgetts.split import split_voice
from edgetts.voice import Voice

# Float sums in another order: the rewrite agrees to rounding, not bit for bit.
ATOL = 2e-5


def _conv_transpose(
    kernel: int, stride: int, pads: tuple[int, int], *, bias: bool, seed: int, c_in: int = 6
) -> onnx.ModelProto:
    c_out = 5
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((c_in, c_out, kernel)).astype(np.float32)
    inits = [numpy_helper.from_array(weight, "w")]
    inputs = ["x", "w"]
    if bias:
        inits.append(numpy_helper.from_array(rng.standard_normal(c_out).astype(np.float32), "b"))
        inputs.append("b")
    node = helper.make_node(
        "ConvTranspose",
        inputs,
        ["y"],
        name="up",
        kernel_shape=[kernel],
        strides=[stride],
        pads=list(pads),
    )
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c_in, "n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"x": x})[0])


@pytest.mark.parametrize(
    ("kernel", "stride", "pads", "bias"),
    [
        (16, 8, (4, 4), True),  # the voice's first two upsamplers
        (8, 4, (2, 2), True),  # its last
        (7, 3, (1, 2), False),  # a kernel that is not a multiple of the stride, uneven pads
        (3, 1, (0, 0), True),  # stride 1: one phase
        (4, 4, (0, 0), True),  # no overlap between phases
    ],
)
@pytest.mark.parametrize("frames", [1, 5, 33])
def test_the_rewrite_is_the_same_function(
    kernel: int, stride: int, pads: tuple[int, int], bias: bool, frames: int
) -> None:
    model = _conv_transpose(kernel, stride, pads, bias=bias, seed=kernel * 10 + stride)
    x = np.random.default_rng(frames).standard_normal((1, 6, frames)).astype(np.float32)
    expected = _run(model, x)
    rewritten = onnx.ModelProto()
    rewritten.CopyFrom(model)
    assert polyphase_model(rewritten) == 1
    assert [n.op_type for n in rewritten.graph.node] == [
        "Conv",
        "Reshape",
        "Transpose",
        "Reshape",
        "Slice",
    ]
    assert {t.name for t in rewritten.graph.initializer}.isdisjoint({"w", "b"})  # replaced
    actual = _run(rewritten, x)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, atol=ATOL, rtol=0)


def test_grouped_or_dilated_nodes_are_left_alone() -> None:
    model = _conv_transpose(4, 2, (1, 1), bias=True, seed=1)
    model.graph.node[0].attribute.append(helper.make_attribute("dilations", [2]))
    assert polyphase_model(model) == 0
    assert [n.op_type for n in model.graph.node] == ["ConvTranspose"]


@pytest.mark.slow
def test_the_voice_decoder_rewritten_gives_the_same_audio(tmp_path: Path) -> None:
    split = split_voice(Voice.load(None).model_path)
    target = tmp_path / "decoder.onnx"
    assert rewrite_file(split.decoder, target) == 3  # the voice's three upsamplers
    z = np.random.default_rng(0).standard_normal((1, 192, 40)).astype(np.float32) * 0.5
    outputs = []
    for path in (split.decoder, target):
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        outputs.append(session.run(None, {session.get_inputs()[0].name: z})[0].reshape(-1))
    assert outputs[0].shape == outputs[1].shape == (40 * 256,)
    np.testing.assert_allclose(outputs[1], outputs[0], atol=1e-5, rtol=0)
