"""``edgetts optimize fast``: the parts that measured no quality cost, together.

- the voice's own decoder, its upsamplers rewritten as polyphase convolutions
  (:mod:`edgetts.polyphase`: the same function, no training); on OpenVINO with
  a CPU that has bf16 matrix units it may run in bf16 (see
  :mod:`edgetts.hardware`);
- the flow narrowed to ``flow_width`` of its hidden channels and distilled on
  the voice's latents (:mod:`edgetts.train.flow`);
- the voice's text encoder with int8 weights and float compute, or with
  ``prior_layers`` > 0 one of that many layers distilled on the voice's hidden
  states (:mod:`edgetts.train.prior`); the duration predictor keeps its
  float weights; the prior graph is written time-major
  (:mod:`edgetts.train.prior_graph`: the same function, fewer and cheaper ops).

Training the two small graphs takes a few minutes on a CPU and needs the
``train`` extra; the result is a variant like any other, which
``edgetts pack export`` turns into a pack that needs neither.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from ..polyphase import rewrite_file
from ..split import SplitVoice, split_voice
from ..train.settings import FlowPriorSettings, TrainSettings
from ..variants import Variant
from ..voice import Voice
from .calibration import load_calibration
from .ptq import DURATION_PATH
from .store import check_new_variant, store_variant
from .weights import compress_weights

if TYPE_CHECKING:
    from ..train.model import DurationPredictor, TextEncoder  # imports torch

__all__ = ["FAST", "build_fast_variant", "write_fast_prior"]

#: The fast variant's flow and text encoder: a quarter of the flow's channels and
#: the voice's encoder (3 layers are faster, but move durations: MCD above the bar,
#: docs/variants.md).
FAST = FlowPriorSettings(flow_width=0.25)
#: Graphs whose bf16 run measured no quality cost (bench/results): the decoder.
BF16_GRAPHS = ("decoder",)


def write_fast_prior(
    encoder: TextEncoder, predictor: DurationPredictor, split: SplitVoice, target: Path
) -> None:
    """The fast variant's prior graph at ``target``: ``encoder`` and ``predictor``
    written time-major, the encoder's weights in int8 (the duration predictor's
    stay float)."""
    from ..train.prior_graph import export_prior

    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        float_prior = Path(tmp) / "prior.onnx"
        export_prior(encoder, predictor, split, float_prior)
        compress_weights(float_prior, target, keep=DURATION_PATH)


def build_fast_variant(
    voice: str | os.PathLike[str] | Voice | None = None,
    graphs: FlowPriorSettings = FAST,
    *,
    calibration: str | os.PathLike[str] | None = None,
    eval_sentences: Sequence[str] = (),
    name: str = "fast",
    replace: bool = False,
    check_sentences: Sequence[str] = (),
) -> Variant:
    """Train the narrow flow (and a shallow encoder), and store the composed variant.

    The flow's noise draws and the seed are :class:`TrainSettings`' defaults.
    """
    from ..train.flow import check_flow_settings, export_flow
    from ..train.model import VitsVoice
    from ..train.prior import check_prior_settings, encoder_layers
    from .student import cheaper_prior, narrow_flow

    flow_width, flow_steps = graphs.flow_width, graphs.flow_steps
    prior_layers, prior_steps = graphs.prior_layers, graphs.prior_steps
    check_flow_settings(flow_width, flow_steps)
    loaded = voice if isinstance(voice, Voice) else Voice.load(voice)
    if prior_layers:  # 0: the voice's own encoder, int8 weights only (nothing to train)
        check_prior_settings(prior_layers, encoder_layers(loaded.model_path), prior_steps)
    if not eval_sentences:
        raise ValueError("eval_sentences is empty: give held-out sentences for the curves")
    check_new_variant(loaded, name, replace)
    texts = load_calibration(calibration)
    defaults = TrainSettings()
    seed = defaults.seed
    flow, flow_record = narrow_flow(
        loaded,
        texts.texts,
        eval_sentences,
        width=flow_width,
        steps=flow_steps,
        draws=defaults.draws,
        seed=seed,
    )
    encoder, prior_record = (
        cheaper_prior(
            loaded, texts.texts, eval_sentences, layers=prior_layers, steps=prior_steps, seed=seed
        )
        if prior_layers
        else (None, None)
    )
    split = split_voice(loaded.model_path)
    model = VitsVoice.from_onnx(loaded.model_path)

    def build(folder: Path) -> dict[str, str]:
        prior_encoder = model.enc_p if encoder is None else encoder
        write_fast_prior(prior_encoder, model.dp, split, folder / "prior.onnx")
        export_flow(flow, split.flow, folder / "flow.onnx")
        rewrite_file(split.decoder, folder / "decoder.onnx")
        return {"prior": "prior.onnx", "flow": "flow.onnx", "decoder": "decoder.onnx"}

    description = {
        "method": "fast",
        "preset": "fast",
        "description": (
            f"voice decoder with polyphase upsamplers, flow at {flow_width} width, "
            + (f"{prior_layers}-layer" if prior_layers else "the voice's")
            + " text encoder with int8 weights, time-major prior graph"
        ),
        "backend": "any",
        "toolkit": "edgetts+torch",
        "bf16_graphs": list(BF16_GRAPHS),
        "settings": {**asdict(graphs), "float_scopes": list(DURATION_PATH)},
        "calibration": {
            "source": texts.source,
            "sha256": texts.sha256,
            "sentences": len(texts.texts),
        },
        "training": {"flow": flow_record, "prior": prior_record},
    }
    return store_variant(
        loaded,
        name,
        split,
        build,
        description,
        replace=replace,
        check_sentences=check_sentences,
    )
