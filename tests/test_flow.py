"""The narrower flow (extra ``train``): pruning, distillation, export into the voice's graph."""

from __future__ import annotations

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
from edgetts.train.flow import distill_flow, export_flow, flow_pairs, prune_flow  # noqa: E402


def test_a_pruned_flow_exports_into_the_voice_graph(
    model: VitsVoice, joe_ort: EdgeTTS, tmp_path: Path
) -> None:
    import onnxruntime

    flow = prune_flow(model.flow, 0.25)
    assert flow.hidden == 48 and model.flow.hidden == 192
    split = split_voice(joe_ort.voice.model_path)
    target = tmp_path / "flow.onnx"
    export_flow(flow, split.flow, target)
    assert target.stat().st_size < 0.15 * split.flow.stat().st_size  # ~1/16 of the weights
    z_p = torch.randn(1, 192, 60, generator=torch.Generator().manual_seed(0))
    mask = torch.ones(1, 1, 60)
    session = onnxruntime.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert names == [split.z_p, split.mask]
    out = session.run(None, {split.z_p: z_p.numpy(), split.mask: mask.numpy()})[0]
    with torch.no_grad():
        np.testing.assert_allclose(out, flow(z_p, mask).numpy(), atol=1e-4)


@pytest.mark.parametrize("width", [0.0, 1.5, True, "half"])
def test_flow_widths_are_checked(model: VitsVoice, width: object) -> None:
    with pytest.raises(ValueError, match=re.escape(f"in (0, 1], got {width!r}")):
        prune_flow(model.flow, width)  # type: ignore[arg-type]


def test_distilling_the_flow_brings_it_towards_the_teacher(
    model: VitsVoice, joe_ort: EdgeTTS
) -> None:
    voice = joe_ort.voice
    train = flow_pairs(model, voice, ["Turn left at the next corner."], draws=2, seed=0)
    held_out = flow_pairs(model, voice, ["Keep right."], draws=1, seed=1)
    _, history = distill_flow(model.flow, train, held_out, width=0.5, steps=20)
    assert history.steps == 20 and [s for s, _ in history.curve] == [0, *range(2, 21, 2)]
    assert history.curve[-1][1] < 0.5 * history.curve[0][1]
    with pytest.raises(ValueError, match="flow steps must be at least 1, got 0"):
        distill_flow(model.flow, train, held_out, width=0.5, steps=0)


def test_a_variant_with_a_narrower_flow_speaks_on_both_backends(
    tmp_path: Path, student_inputs: dict[str, Any], speaks_on_every_backend: Callable[[str], None]
) -> None:
    variant = build_student_variant(
        method="distill",
        steps=1,
        flow_width=0.5,
        flow_steps=4,
        work_dir=tmp_path / "w",
        **student_inputs,
    )
    flow = variant.manifest["training"]["flow"]
    assert (
        flow["hidden"] == 96
        and flow["steps"] == 4
        and variant.manifest["settings"]["flow_width"] == 0.5
    )
    speaks_on_every_backend("distill")
    with pytest.raises(ValueError, match="qat keeps the voice's flow"):
        build_student_variant(method="qat", steps=1, flow_width=0.5, **student_inputs)
    with pytest.raises(ValueError, match="flow steps must be at least 1, got 0"):
        build_student_variant(
            method="distill", steps=1, flow_width=0.5, flow_steps=0, **student_inputs
        )
