"""The cheaper prior (extra ``train``): fewer encoder layers, a duration student, export."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgetts import EdgeTTS
from edgetts.split import split_voice

torch = pytest.importorskip("torch", reason="the train extra is not installed")

from edgetts.optimize.student import build_student_variant  # noqa: E402
from edgetts.train import VitsVoice  # noqa: E402
from edgetts.train.prior import (  # noqa: E402
    distill_prior,
    drop_layers,
    phoneme_sequences,
    shuffled_sentences,
)
from edgetts.train.prior_graph import export_prior  # noqa: E402

QUIET = np.array([0.0, 1.0, 0.0], np.float32)  # no noise: comparable


def _prior_run(path: Path, ids: Any) -> list[Any]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {"input": ids, "input_lengths": np.array([ids.shape[1]], np.int64), "scales": QUIET}
    return list(session.run(None, feeds))


def test_the_time_major_prior_computes_the_voices_prior(
    model: VitsVoice, joe_ort: EdgeTTS, tmp_path: Path
) -> None:
    import onnx

    from edgetts.split import text_prior

    split = split_voice(joe_ort.voice.model_path)
    target = tmp_path / "prior.onnx"
    export_prior(model.enc_p, model.dp, split, target)
    graph = onnx.load(str(target)).graph
    voice_graph = onnx.load(str(split.prior)).graph
    assert [o.name for o in graph.output] == [split.z_p, split.mask, split.durations]
    assert [i.name for i in graph.input] == [i.name for i in voice_graph.input]
    ops = {n.op_type for n in graph.node}
    assert "NonZero" not in ops and "ScatterND" not in ops and "Conv" in ops  # dp keeps convs

    def computing(g: Any) -> int:
        return sum(n.op_type != "Constant" for n in g.node)

    assert computing(graph) < 0.85 * computing(voice_graph)
    texts = ["Turn left at the next corner.", "Is it 7:30 already? I'd better hurry, Dr. Lee!"]
    for ids in phoneme_sequences(joe_ort.voice, texts):
        ours, piper = _prior_run(target, ids.numpy()), _prior_run(split.prior, ids.numpy())
        np.testing.assert_array_equal(ours[2], piper[2])  # durations, exactly
        np.testing.assert_array_equal(ours[1], piper[1])
        np.testing.assert_allclose(ours[0], piper[0], atol=1e-4)
    cut = text_prior(target, tmp_path / "split")  # OpenVINO's cut finds its pattern
    assert cut.durations == split.durations


def test_an_encoder_with_fewer_layers_exports_without_the_dropped_layers(
    model: VitsVoice, joe_ort: EdgeTTS, tmp_path: Path
) -> None:
    import onnx

    encoder = drop_layers(model.enc_p, 3)
    assert encoder.kept == [0, 2, 5] and model.enc_p.kept == list(range(6))
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():  # an export that kept any of the teacher's weights would show
        for p in encoder.parameters():
            p.add_(0.02 * torch.randn(p.shape, generator=generator))
    split = split_voice(joe_ort.voice.model_path)
    target = tmp_path / "prior.onnx"
    export_prior(encoder, model.dp, split, target)
    names = [n.name for n in onnx.load(str(target)).graph.node]
    assert {m.group(1) for n in names if (m := re.search(r"/layers\.(\d+)/", n))} == {"0", "1", "2"}
    ids = phoneme_sequences(joe_ort.voice, ["Turn left at the next corner."])[0]
    z_p, _, durations = _prior_run(target, ids.numpy())
    student = copy.deepcopy(model)
    student.enc_p = encoder
    with torch.no_grad():
        z_expected, _, expected = student.prior(ids, (0.0, 1.0, 0.0))
    np.testing.assert_array_equal(durations.reshape(-1), expected.numpy())
    np.testing.assert_allclose(z_p, z_expected.numpy(), atol=1e-4)


@pytest.mark.parametrize(
    ("layers", "error", "message"),
    [
        (1, ValueError, "must be within [2, 6], got 1"),
        (7, ValueError, "must be within [2, 6], got 7"),
        (True, TypeError, "must be an int, got bool"),
        ("3", TypeError, "must be an int, got str"),
    ],
)
def test_encoder_layer_counts_are_checked(
    model: VitsVoice, layers: object, error: type[Exception], message: str
) -> None:
    message = "encoder layers (2 to the voice's own) " + message
    with pytest.raises(error, match=re.escape(message)):
        drop_layers(model.enc_p, layers)  # type: ignore[arg-type]


def test_distilling_the_prior_brings_it_towards_the_teacher(
    model: VitsVoice, joe_ort: EdgeTTS
) -> None:
    voice = joe_ort.voice
    texts = ["Turn left at the next corner.", "The bus leaves at noon."]
    sentences = shuffled_sentences(texts, 3, seed=0)
    assert len(sentences) == 3 and sentences == shuffled_sentences(texts, 3, seed=0)
    assert {w.strip(".,?!").lower() for s in sentences for w in s.split()} <= {
        w.strip(".").lower() for t in texts for w in t.split()
    }
    train = phoneme_sequences(voice, [*texts, *sentences])
    held_out = phoneme_sequences(voice, ["Keep right."])
    _, history = distill_prior(model, train, held_out, layers=4, steps=20)
    assert history.steps == 20 and [c[0] for c in history.curve] == [0, *range(2, 21, 2)]
    first, last = history.curve[0], history.curve[-1]
    assert last[1] < first[1] and last[2] < first[2]
    with pytest.raises(ValueError, match="prior steps must be at least 1, got 0"):
        distill_prior(model, train, held_out, layers=4, steps=0)
    with pytest.raises(ValueError, match="the training texts have no words"):
        shuffled_sentences(["...", ""], 3, seed=0)


def test_a_variant_with_a_cheaper_prior_speaks_on_both_backends(
    tmp_path: Path, student_inputs: dict[str, Any], speaks_on_every_backend: Callable[[str], None]
) -> None:
    variant = build_student_variant(
        method="distill",
        steps=1,
        prior_layers=3,
        prior_steps=4,
        work_dir=tmp_path / "w",
        **student_inputs,
    )
    prior = variant.manifest["training"]["prior"]
    assert prior["encoder_layers"] == [0, 2, 5] and prior["steps"] == 4
    assert variant.manifest["settings"]["prior_layers"] == 3
    speaks_on_every_backend("distill")
    with pytest.raises(ValueError, match="qat keeps the voice's prior"):
        build_student_variant(method="qat", steps=1, prior_layers=3, **student_inputs)
    with pytest.raises(
        ValueError,
        match=re.escape("encoder layers (2 to the voice's own) must be within [2, 6], got 9"),
    ):
        build_student_variant(method="distill", steps=1, prior_layers=9, **student_inputs)
