from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from generate_test_voice import expected_output

from edgetts import BackendError, BackendUnavailableError, EdgeTTS, ModelLoadError, phonemize
from edgetts.backends import BackendOptions, available_backends, load_backend, resolve_backend_name

# Declared tolerances. The tiny voice is plain float math; the real voice runs
# ~100 layers whose kernels differ between runtimes (measured max 2.4e-4 over
# the 50 dev sentences), while piper-tts runs the same ORT graph (measured 0).
TINY_ATOL = 1e-6
ORT_VS_OPENVINO_ATOL = 1e-3
ORT_VS_PIPER_ATOL = 1e-6

DETERMINISTIC = np.array([0.0, 1.0, 0.0], dtype=np.float32)
BACKENDS = [pytest.param(b, id=b) for b in ("onnxruntime", "openvino")]


def backend_or_skip(name: str, model: Path, **kwargs: object) -> object:
    if name not in available_backends():
        pytest.skip(f"{name} is not installed")
    return load_backend(name, model, BackendOptions(**kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", BACKENDS)
def test_tiny_voice_output_is_exact(name: str, tiny_voice: Path, tmp_path: Path) -> None:
    backend = backend_or_skip(name, tiny_voice, cache_dir=tmp_path)
    ids = np.array([[1, 0, 20, 0, 59, 0, 2]], dtype=np.int64)
    scales = np.array([0.3, 1.7, 0.5], dtype=np.float32)
    out = backend.infer(ids, scales, None)  # type: ignore[attr-defined]
    np.testing.assert_allclose(out, expected_output(ids, 1.7), atol=TINY_ATOL, rtol=0)


@pytest.mark.parametrize("name", BACKENDS)
def test_speaker_id_reaches_multispeaker_model(
    name: str, tiny_multispeaker_voice: Path, tmp_path: Path
) -> None:
    backend = backend_or_skip(name, tiny_multispeaker_voice, cache_dir=tmp_path)
    ids = np.array([[1, 0, 5, 0, 2]], dtype=np.int64)
    out = backend.infer(ids, DETERMINISTIC, 2)  # type: ignore[attr-defined]
    np.testing.assert_allclose(
        out, expected_output(ids, 1.0, speaker_id=2, speakers=3), atol=TINY_ATOL, rtol=0
    )


@pytest.mark.parametrize("name", BACKENDS)
def test_speaker_id_on_single_speaker_model_is_an_error(
    name: str, tiny_voice: Path, tmp_path: Path
) -> None:
    backend = backend_or_skip(name, tiny_voice, cache_dir=tmp_path)
    with pytest.raises(BackendError, match="has a single speaker; got speaker_id=1"):
        backend.infer(np.array([[1, 2]], np.int64), DETERMINISTIC, 1)  # type: ignore[attr-defined]


def test_ort_output_is_a_view_not_a_copy(tiny_voice: Path) -> None:
    backend = load_backend("onnxruntime", tiny_voice)
    out = backend.infer(np.array([[1, 0, 2]], np.int64), DETERMINISTIC, None)
    assert not out.flags.owndata


def _joe_sentences() -> list[np.ndarray]:
    from edgetts import Voice

    voice = Voice.load()
    texts = [
        "The birch canoe slid on the smooth planks.",
        "It costs $12.50, including tax.",
        "What time does the library close on Saturdays?",
    ]
    return [voice.id_mapper(s.phonemes).ids[None] for t in texts for s in phonemize(t)]


@pytest.mark.slow
def test_onnxruntime_and_openvino_agree_on_the_real_voice(
    joe_ort: EdgeTTS, joe_openvino: EdgeTTS
) -> None:
    for ids in _joe_sentences():
        a = joe_ort.backend.infer(ids, DETERMINISTIC, None).copy()
        b = joe_openvino.backend.infer(ids, DETERMINISTIC, None)
        assert a.shape == b.shape  # same durations: fp32 precision is really in force
        np.testing.assert_allclose(a, b, atol=ORT_VS_OPENVINO_ATOL, rtol=0)


@pytest.mark.slow
def test_openvino_runs_in_fp32_not_the_cpu_default(joe_openvino: EdgeTTS) -> None:
    import openvino

    model = joe_openvino.backend  # the split graphs, which take bucketed shapes
    for graph in (model.flow, model.decoder):  # type: ignore[attr-defined]
        hint = graph.compiled_model.get_property("INFERENCE_PRECISION_HINT")
        assert hint == openvino.Type.f32


def test_on_openvino_the_prior_runs_on_onnxruntime(joe_openvino: EdgeTTS) -> None:
    model = joe_openvino.backend
    assert model.prior.backend == "onnxruntime"  # type: ignore[attr-defined]
    assert (model.flow.backend, model.decoder.backend) == ("openvino", "openvino")  # type: ignore[attr-defined]
    expected = {"prior": "onnxruntime", "flow": "openvino", "decoder": "openvino"}
    assert joe_openvino.graph_backends == expected
    assert joe_openvino.precisions["prior"] == "fp32"


@pytest.mark.slow
def test_raw_output_equals_piper_tts(joe_ort: EdgeTTS) -> None:
    piper = pytest.importorskip("piper")
    from piper.config import SynthesisConfig as PiperSynthesisConfig

    piper_voice = piper.PiperVoice.load(joe_ort.voice.model_path)
    config = PiperSynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, length_scale=1.0)
    for ids in _joe_sentences():
        ours = joe_ort.backend.infer(ids, DETERMINISTIC, None)
        theirs = piper_voice.phoneme_ids_to_audio(ids[0].tolist(), config)
        np.testing.assert_allclose(ours, theirs, atol=ORT_VS_PIPER_ATOL, rtol=0)


def test_unknown_backend_lists_installed_and_suggests() -> None:
    expected = (
        r"unknown backend 'onnxruntim'; installed backends: \[.*'onnxruntime'.*'auto'\]; "
        r"did you mean 'onnxruntime'\?"
    )
    with pytest.raises(ValueError, match=expected):
        resolve_backend_name("onnxruntim")


def test_backend_name_must_be_str() -> None:
    with pytest.raises(TypeError, match="backend must be a str, got int"):
        resolve_backend_name(3)  # type: ignore[arg-type]


def test_auto_prefers_openvino_when_installed() -> None:
    expected = "openvino" if "openvino" in available_backends() else "onnxruntime"
    assert resolve_backend_name("auto") == expected


def test_missing_runtime_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from edgetts import backends

    monkeypatch.setattr(backends, "available_backends", lambda: ["onnxruntime"])
    with pytest.raises(BackendUnavailableError, match=r"pip install 'edgetts\[openvino\]'"):
        resolve_backend_name("openvino")
    assert resolve_backend_name("auto") == "onnxruntime"


def test_cuda_is_never_a_silent_fallback(tiny_voice: Path) -> None:
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    with pytest.raises(BackendUnavailableError, match="onnxruntime has no CUDAExecutionProvider"):
        load_backend("onnxruntime", tiny_voice, BackendOptions(device="cuda"))


@pytest.mark.parametrize("name", BACKENDS)
def test_unsupported_device_and_precision(name: str, tiny_voice: Path) -> None:
    with pytest.raises(ValueError, match="device 'tpu' is not supported"):
        backend_or_skip(name, tiny_voice, device="tpu")
    with pytest.raises(ValueError, match="precision"):
        backend_or_skip(name, tiny_voice, precision="int4")


def test_threads_are_validated() -> None:
    with pytest.raises(ValueError, match="threads must be at least 1, got 0"):
        BackendOptions(threads=0)


@pytest.mark.parametrize("name", BACKENDS)
def test_truncated_model_is_a_model_load_error(name: str, tiny_voice: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(tiny_voice.read_bytes()[:300])
    with pytest.raises(ModelLoadError, match=f"model {broken} cannot be loaded"):
        backend_or_skip(name, broken, cache_dir=tmp_path)


@pytest.mark.parametrize("name", BACKENDS)
def test_garbage_and_empty_models(name: str, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x00not an onnx model" * 10)
    with pytest.raises(ModelLoadError, match="cannot be loaded"):
        backend_or_skip(name, garbage, cache_dir=tmp_path)
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(ModelLoadError, match=f"model {empty} is empty"):
        backend_or_skip(name, empty, cache_dir=tmp_path)


def test_a_non_piper_model_is_refused(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    path = tmp_path / "identity.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    with pytest.raises(ModelLoadError, match="is not a Piper VITS model: inputs \\['x'\\]"):
        load_backend("onnxruntime", path)


def test_int8_weights_are_folded_at_load_on_onnxruntime(joe_ort: EdgeTTS, tmp_path: Path) -> None:
    import onnxruntime as ort

    from edgetts.backends.onnxruntime_backend import OnnxRuntimeGraph, weights_only_int8
    from edgetts.optimize.weights import compress_weights
    from edgetts.split import split_voice

    prior = split_voice(joe_ort.voice.model_path).prior
    weights = tmp_path / "prior-int8-weights.onnx"
    assert compress_weights(prior, weights, keep=("/dp/",)) > 0
    assert weights_only_int8(weights) and not weights_only_int8(prior)
    ids = joe_ort._ids(joe_ort.phonemize("Turn left at the next corner.")[0])
    feed = {
        "input": ids,
        "input_lengths": np.array([ids.shape[1]], np.int64),
        "scales": np.array([0.0, 1.0, 0.0], np.float32),  # no noise: comparable outputs
    }
    graph = OnnxRuntimeGraph(weights, BackendOptions(threads=1))
    assert graph.folds_weights and not OnnxRuntimeGraph(prior, BackendOptions()).folds_weights
    folded = graph.run(feed)
    # Without the rule: the weights dequantised on every call; the same numbers.
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    plain = ort.InferenceSession(str(weights), so, providers=["CPUExecutionProvider"])
    for a, b in zip(folded, plain.run(None, feed), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # What the session runs: no DequantizeLinear left once folded.
    so.add_session_config_entry("session.disable_quant_qdq", "1")
    so.optimized_model_filepath = str(tmp_path / "optimised.onnx")
    ort.InferenceSession(str(weights), so, providers=["CPUExecutionProvider"])
    assert not weights_only_int8(tmp_path / "optimised.onnx")


def test_graphs_with_int8_activations_keep_their_qdq_fusion(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    from edgetts.backends.onnxruntime_backend import weights_only_int8

    scale = helper.make_tensor("scale", TensorProto.FLOAT, [], [0.1])
    zero = helper.make_tensor("zero", TensorProto.UINT8, [], [128])
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "scale", "zero"], ["q"]),
        helper.make_node("DequantizeLinear", ["q", "scale", "zero"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "qdq",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        [scale, zero],
    )
    path = tmp_path / "qdq.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    assert not weights_only_int8(path)  # activations are quantised: ORT's fusion stays on
