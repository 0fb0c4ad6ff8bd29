"""The prior graph with its noise from outside (for runtimes without random ops)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from edgetts import EdgeTTS
from edgetts.errors import ModelLoadError
from edgetts.eval.host_noise import host_noise_prior, prior_sample

CPU = ["CPUExecutionProvider"]


def test_same_noise_gives_the_original_graphs_output(joe_ort: EdgeTTS, tmp_path: Path) -> None:
    prior = host_noise_prior(joe_ort.voice.model_path, tmp_path / "prior.onnx")
    model = onnx.load(str(joe_ort.voice.model_path))
    draws = [n.output[0] for n in model.graph.node if n.op_type == "RandomNormalLike"]
    model.graph.output.extend(onnx.helper.make_empty_tensor_value_info(d) for d in draws)
    onnx.save(model, str(tmp_path / "original.onnx"))  # also returns the noise it drew
    original = ort.InferenceSession(str(tmp_path / "original.onnx"), providers=CPU)
    ours = ort.InferenceSession(str(prior.path), providers=CPU)
    split = joe_ort._split_model()
    for text in ("The birch canoe slid on the smooth planks.", "Hello there!"):
        ids = joe_ort.voice.id_mapper(joe_ort.phonemize(text)[0].phonemes).ids[np.newaxis, :]
        scales = np.array([0.667, 1.0, 0.8], dtype=np.float32)  # noise on
        feed = {"input": ids, "input_lengths": np.array([ids.shape[1]]), "scales": scales}
        wave, *noise = original.run(None, feed)
        by_name = dict(zip(draws, noise, strict=True))
        mean, std, mask, _ = ours.run(
            None, {**feed, prior.duration_noise: by_name[prior.duration_noise]}
        )
        z_noise = next(v for k, v in by_name.items() if k != prior.duration_noise)
        z_p = prior_sample(mean, std, z_noise, 0.667)
        z = split.flow.run({split.split.z_p: z_p, split.split.mask: mask})[0]
        audio = split.decoder.run({split.split.z: np.ascontiguousarray(z)})[0]
        np.testing.assert_array_equal(audio.reshape(-1), wave.reshape(-1))


def test_prior_sample_checks_the_noise_shape() -> None:
    mean = np.zeros((1, 4, 3), dtype=np.float32)
    with pytest.raises(
        ValueError, match=r"noise has shape \(1, 4, 2\); the prior's mean has \(1, 4, 3\)"
    ):
        prior_sample(mean, mean, np.zeros((1, 4, 2), dtype=np.float32), 0.5)


def test_a_graph_without_noise_draws_is_refused(tiny_voice: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="expected one noise draw in the duration predictor"):
        host_noise_prior(tiny_voice, tmp_path / "prior.onnx")
