"""Post-training int8 variants and the model store, on the real voice."""

from __future__ import annotations

import json
import re
import shutil
import wave
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from conftest import another_build
from onnx import TensorProto, helper, numpy_helper

from edgetts import EdgeTTS, available_backends
from edgetts.cli import main
from edgetts.errors import VariantError, VariantMismatchError, VariantNotFoundError
from edgetts.eval.fidelity import fidelity
from edgetts.files import staged_folder
from edgetts.optimize import build_ptq, compress_weights, load_calibration
from edgetts.variants import MANIFEST, load_variant, stored_variants
from edgetts.voice import Voice

needs_openvino = pytest.mark.skipif(
    "openvino" not in available_backends(), reason="openvino is not installed"
)
SENTENCES = ("The birch canoe slid on the smooth planks.", "Hello there, how are you today?")
# Declared per-sentence tolerances against the fp32 voice (noise 0). The
# voice's own run-to-run MCD spread with sampling noise is 1.2-2.4 dB; the
# benchmark checks the mean over the development sentences against it.
MAX_MCD_DB = 1.5
MAX_DURATION_CHANGE = 0.02  # one or two frames on these short sentences


@pytest.fixture(scope="module")
def calibration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("calibration") / "calibration.txt"
    path.write_text("Good morning, and welcome aboard.\nIs it going to rain?\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def weights_variant(store: Path):  # type: ignore[no-untyped-def]
    return build_ptq(preset="weights", backend="onnxruntime", check_sentences=SENTENCES[:1])


def _speak(tts: EdgeTTS, text: str) -> np.ndarray:
    return tts.speak(text, noise_scale=0.0, noise_w=0.0).samples


def _assert_close_to_fp32(
    variant: EdgeTTS, reference: EdgeTTS, max_mcd_db: float = MAX_MCD_DB
) -> None:
    for text in SENTENCES:
        got, want = _speak(variant, text), _speak(reference, text)
        assert abs(len(got) / len(want) - 1) <= MAX_DURATION_CHANGE
        assert fidelity(got, want, reference.sample_rate).mcd_db <= max_mcd_db


def test_compress_weights_stores_int8_per_channel(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((64, 32, 3)).astype(np.float32)
    weight[5] *= 100  # one loud channel must not coarsen the others
    kept = rng.standard_normal((64, 64, 1)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w"], ["h"], name="/enc/Conv", pads=[1, 1]),
            helper.make_node("Conv", ["h", "k"], ["y"], name="/dp/Conv"),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32, 10])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64, 10])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(kept, "k")],
    )
    source, target = tmp_path / "a.onnx", tmp_path / "b.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), source)
    assert compress_weights(source, target, keep=("/dp/",)) == 1
    model = onnx.load(str(target))
    stored = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    assert stored["w_int8"].dtype == np.int8 and "k" in stored and "w" not in stored
    step = np.abs(weight).max(axis=(1, 2)) / 127
    restored = stored["w_int8"] * stored["w_scale"][:, None, None]
    assert np.all(np.abs(restored - weight) <= step[:, None, None] / 2 + 1e-7)
    x = rng.standard_normal((1, 32, 10)).astype(np.float32)
    outputs = [
        ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
        for p in (source, target)
    ]
    np.testing.assert_allclose(
        outputs[1], outputs[0], rtol=0.02, atol=0.05 * np.abs(outputs[0]).max()
    )


def test_compress_weights_needs_opset_13(tmp_path: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    onnx.save(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)]), tmp_path / "a.onnx"
    )
    with pytest.raises(ValueError, match="uses opset 11; weight-only int8 needs 13"):
        compress_weights(tmp_path / "a.onnx", tmp_path / "b.onnx")


def test_weight_only_variant_is_small_close_and_runs_everywhere(
    weights_variant,
    joe_ort: EdgeTTS,  # type: ignore[no-untyped-def]
) -> None:
    voice = joe_ort.voice
    assert weights_variant.backend == "any"
    assert weights_variant.size_bytes <= 0.30 * voice.model_path.stat().st_size
    manifest = weights_variant.manifest
    assert (
        manifest["source"]["sha256"]
        == load_variant(voice, "int8-weights").manifest["source"]["sha256"]
    )
    assert manifest["measured"]["sentences"] == 1
    assert manifest["measured"]["mcd_db_mean"] <= MAX_MCD_DB
    _assert_close_to_fp32(EdgeTTS(backend="onnxruntime", variant="int8-weights"), joe_ort)
    if "openvino" in available_backends():
        _assert_close_to_fp32(EdgeTTS(backend="openvino", variant="int8-weights"), joe_ort)


def test_variant_streams_and_keeps_timestamps(weights_variant) -> None:  # type: ignore[no-untyped-def]
    tts = EdgeTTS(backend="onnxruntime", variant="int8-weights")
    chunks = list(tts.stream(SENTENCES[0], chunk_ms=100, noise_scale=0.0, noise_w=0.0))
    assert len(chunks) > 1 and [w.word for w in chunks[0].words][:2] == ["The", "birch"]


@needs_openvino
def test_int8_openvino_variant_runs_int8_kernels(store: Path, joe_ort: EdgeTTS) -> None:
    variant = build_ptq(preset="int8", backend="openvino")  # the built-in calibration set
    manifest = variant.manifest
    assert manifest["calibration"]["sentences"] == len(load_calibration().texts) == 40
    assert manifest["calibration"]["source"] == "edgetts:calibration.txt"
    assert {"nncf", "openvino", "onnx"} <= set(manifest["versions"])
    assert variant.size_bytes <= 0.35 * joe_ort.voice.model_path.stat().st_size
    tts = EdgeTTS(variant="int8-ov")  # "auto" picks the backend it was built for
    assert tts.backend.name == "openvino"
    _assert_close_to_fp32(tts, joe_ort)
    runtime = tts.backend.flow.compiled_model.get_runtime_model()  # type: ignore[attr-defined]
    precisions = {
        op.get_rt_info()["runtimePrecision"].astype(str)
        for op in runtime.get_ops()
        if op.get_rt_info()["layerType"].astype(str) == "Convolution"
    }
    assert "u8" in precisions or "i8" in precisions  # not an fp32 fallback
    with pytest.raises(VariantError, match="was built for openvino, not onnxruntime"):
        EdgeTTS(backend="onnxruntime", variant="int8-ov")


def test_int8_onnxruntime_variant_runs_int8_kernels(
    store: Path, calibration: Path, joe_ort: EdgeTTS, tmp_path: Path
) -> None:
    variant = build_ptq(preset="int8", backend="onnxruntime", calibration=calibration)
    assert variant.manifest["calibration"]["sha256"] == load_calibration(calibration).sha256
    # Two calibration sentences only (for speed): a looser bound than the real build's.
    tts = EdgeTTS(backend="onnxruntime", variant=variant.name)
    _assert_close_to_fp32(tts, joe_ort, max_mcd_db=2.0)
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(str(variant.split.flow), options, providers=["CPUExecutionProvider"])
    ops = {n.op_type for n in onnx.load(str(tmp_path / "optimized.onnx")).graph.node}
    assert "QLinearConv" in ops  # fused into int8 kernels, not dequantised back to float


def test_store_refuses_what_it_cannot_trust(weights_variant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    voice = Voice.load(None)
    with pytest.raises(FileExistsError, match="pass replace=True"):
        build_ptq(preset="weights", backend="onnxruntime")
    with pytest.raises(VariantNotFoundError, match=r"no variant 'int4'.*'fp32', .*'int8-weights'"):
        EdgeTTS(variant="int4")
    with pytest.raises(ValueError, match=r"invalid variant name '\.\./x'"):
        EdgeTTS(variant="../x")
    with pytest.raises(ValueError, match=r"unknown preset 'int4'; presets: \['int8'"):
        build_ptq(preset="int4")
    # A variant copied beside another build of the voice (different bytes) is refused.
    other = another_build(voice.model_path, tmp_path / f"{voice.name}.onnx")
    with pytest.raises(VariantMismatchError, match="built from a different en_US-joe-medium"):
        EdgeTTS(other, variant="int8-weights")


def test_a_corrupt_manifest_is_reported(weights_variant) -> None:  # type: ignore[no-untyped-def]
    voice = Voice.load(None)
    broken = weights_variant.folder.with_name("broken")
    shutil.copytree(weights_variant.folder, broken)
    (broken / MANIFEST).write_text("{", encoding="utf-8")
    with pytest.raises(VariantError, match="unusable manifest"):
        EdgeTTS(variant="broken")
    assert "broken" not in stored_variants(voice)
    shutil.rmtree(broken)


def test_staged_folder_keeps_the_old_folder_on_failure(tmp_path: Path) -> None:
    folder = tmp_path / "variant"
    folder.mkdir()
    (folder / "old").write_text("kept")
    with pytest.raises(RuntimeError, match="boom"), staged_folder(folder, replace=True) as staging:
        (staging / "new").write_text("half")
        raise RuntimeError("boom")
    assert [p.name for p in folder.iterdir()] == ["old"]
    assert [p.name for p in tmp_path.iterdir()] == ["variant"]
    with staged_folder(folder, replace=True) as staging:
        (staging / "new").write_text("done")
    assert [p.name for p in folder.iterdir()] == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["variant"]


def test_cli_builds_lists_and_speaks_a_variant(
    weights_variant,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    assert main(["optimize", "ptq", "--preset", "weights", "--name", "w2", "--check", "1"]) == 0
    line = re.fullmatch(
        r"wrote variant 'w2' \((17\.\d) MB\) to (.+); checked on 1 sentence on (\w+): "
        r"MCD (\d+\.\d\d) dB, time x\d+\.\d\d vs fp32 ONNX Runtime\n",
        capsys.readouterr().out,
    )
    assert line is not None
    w2 = load_variant(Voice.load(None), "w2")
    assert (line[1], line[2]) == (f"{w2.size_bytes / 2**20:.1f}", str(w2.folder))
    assert line[3] == w2.manifest["measured"]["backend"] and float(line[4]) <= MAX_MCD_DB
    assert main(["optimize", "ptq", "--preset", "weights", "--name", "w3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == load_variant(Voice.load(None), "w3").manifest
    assert main(["variants", "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)["built"]["w2"]
    assert manifest["variant"] == "w2" and manifest["preset"] == "weights"
    assert main(["variants"]) == 0
    listed = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert listed[0] == "fp32" and {"int8-weights", "w2"} <= set(listed)
    out = tmp_path / "w2.wav"
    speak = ["speak", "Hello.", "--variant", "w2", "--backend", "onnxruntime", "-o", str(out)]
    assert main([*speak, "--noise-scale", "0", "--noise-w", "0"]) == 0
    expected = EdgeTTS(backend="onnxruntime", variant="w2").speak(
        "Hello.", noise_scale=0, noise_w=0
    )
    with wave.open(str(out)) as written:
        assert written.getnframes() == len(expected.samples)
    assert main(["optimize", "ptq", "--preset", "weights", "--name", "w2"]) == 2
    assert "exists" in capsys.readouterr().err
