"""``edgetts optimize qat | prune | distill``: decoders trained against the fp32 voice.

- ``qat``: the decoder fine-tuned with fake quantisation and exported as QDQ
  ONNX (int8 convolutions in OpenVINO); the text encoder keeps int8 weights and
  float compute, the flow gets static int8 from ONNX Runtime's quantiser, as in
  the ``int8`` PTQ preset.
- ``prune``: whole decoder channels removed by importance in steps (the
  ``widths`` schedule, default 75% then 50%), fine-tuned between steps.
- ``distill``: a half-width student cut from the teacher's decoder in one step
  and trained to reproduce the teacher's waveforms from its latents.

Pruned and distilled variants have a smaller dense float decoder; the flow
stays the fp32 one unless ``flow_width`` < 1 narrows it
(:mod:`edgetts.train.flow`: distilled in ``flow_steps`` steps, a few minutes on
a CPU, each time the variant is built), and the text encoder keeps all its
layers unless ``prior_layers`` says how many (:mod:`edgetts.train.prior`,
likewise). ``edgetts optimize ptq --base NAME`` then makes them int8. All
files are ONNX, so every variant runs on every backend. Needs the ``train``
extra (PyTorch).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..files import home_dir
from ..split import split_voice
from ..variants import Variant
from ..voice import Voice
from .calibration import graph_feeds, load_calibration
from .ptq import DURATION_PATH, ort_quantize
from .store import check_new_variant, store_variant
from .weights import compress_weights

__all__ = [
    "DEFAULT_WIDTHS",
    "METHODS",
    "build_student_variant",
    "cheaper_prior",
    "default_name",
    "narrow_flow",
    "train_work_dir",
]

METHODS = {
    "qat": "QAT int8 decoder, static int8 flow, int8-weight text encoder",
    "prune": "decoder pruned channel by channel with fine-tuning between steps",
    "distill": "half-width decoder student distilled from the fp32 decoder",
}
SHUFFLED_SENTENCES = 4000  # at most: reshuffled calibration words, contexts for the prior
DEFAULT_WIDTHS = {"qat": (), "prune": (0.75, 0.5), "distill": (0.5,)}


def default_name(method: str) -> str:
    return "int8-qat" if method == "qat" else method


def train_work_dir(voice: Voice, method: str) -> Path:
    """Where training keeps a method's checkpoint (``method="teacher"``: the shared
    cache of teacher pairs)."""
    return home_dir() / "train" / voice.name / method


def build_student_variant(
    voice: str | os.PathLike[str] | Voice | None = None,
    *,
    method: str = "qat",
    steps: int = 1000,
    widths: Sequence[float] | None = None,
    batch: int = 4,
    learning_rate: float = 1e-4,
    draws: int = 3,
    adversarial: float = 0.0,
    istft_stages: int = 0,
    shortest_fft: int = 512,
    flow_width: float = 1.0,
    flow_steps: int = 3000,
    prior_layers: int = 0,
    prior_steps: int = 3000,
    device: str = "cpu",
    resume: bool = False,
    calibration: str | os.PathLike[str] | None = None,
    eval_sentences: Sequence[str] = (),
    name: str | None = None,
    replace: bool = False,
    check_sentences: Sequence[str] = (),
    progress: Callable[[Any], None] | None = None,
    work_dir: Path | None = None,
) -> Variant:
    """Train (or resume) a student decoder for ``steps`` steps and store the variant.

    Training sentences are the calibration set (``draws`` noise draws each);
    ``eval_sentences`` (held out) give the quality-vs-steps curve recorded in
    the manifest. ``device`` is a torch device (``"cuda"`` trains on a GPU).
    ``adversarial`` > 0 adds a critic's terms (:mod:`edgetts.train.adversarial`)
    with that weight; with ``resume`` it may be switched on to fine-tune.
    ``istft_stages`` > 0 replaces the decoder's last upsampling stages with an
    inverse-STFT head (:mod:`edgetts.train.istft`). ``shortest_fft`` is the
    spectral loss's shortest STFT (128 or 64 keeps the shape of each pitch
    period; a resumed run may change it). ``prior_layers`` > 0 gives
    the variant a text encoder of that many layers (:mod:`edgetts.train.prior`),
    distilled in ``prior_steps`` steps.
    """
    from ..train.export import export_decoder
    from ..train.flow import check_flow_settings, export_flow
    from ..train.prior import check_prior_settings, encoder_layers, export_prior
    from ..train.student import TrainSettings, train_student

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; methods: {sorted(METHODS)}")
    if method == "qat" and flow_width != 1:
        raise ValueError(f"qat keeps the voice's flow (static int8); flow_width {flow_width!r}")
    if method == "qat" and prior_layers:
        raise ValueError(f"qat keeps the voice's prior (int8 weights); prior_layers {prior_layers}")
    check_flow_settings(flow_width, flow_steps)  # before the decoder's training
    loaded = voice if isinstance(voice, Voice) else Voice.load(voice)
    if prior_layers:
        check_prior_settings(prior_layers, encoder_layers(loaded.model_path), prior_steps)
    if not eval_sentences:
        raise ValueError("eval_sentences is empty: give held-out sentences for the curve")
    name = name or default_name(method)
    check_new_variant(loaded, name, replace)
    chosen = tuple(DEFAULT_WIDTHS[method] if widths is None else widths)
    settings = TrainSettings(
        steps=steps,
        batch=batch,
        learning_rate=learning_rate,
        draws=draws,
        adversarial=adversarial,
        istft_stages=istft_stages,
        shortest_fft=shortest_fft,
        quantize=method == "qat",
        widths=chosen,
    )
    texts = load_calibration(calibration)
    work = work_dir or train_work_dir(loaded, method)
    teachers = None if work_dir else train_work_dir(loaded, "teacher")
    student, state = train_student(
        loaded,
        texts.texts,
        eval_sentences,
        work,
        settings,
        resume=resume,
        progress=progress,
        teacher_dir=teachers,
        device=device,
    )
    split = split_voice(loaded.model_path)
    flow = None
    if flow_width != 1:
        flow = narrow_flow(
            loaded,
            texts.texts,
            eval_sentences,
            width=flow_width,
            steps=flow_steps,
            draws=settings.draws,
            seed=settings.seed,
        )
    prior = None
    if prior_layers:
        prior = cheaper_prior(
            loaded,
            texts.texts,
            eval_sentences,
            layers=prior_layers,
            steps=prior_steps,
            seed=settings.seed,
        )

    def build(folder: Path) -> dict[str, str]:
        if method == "qat":
            compress_weights(split.prior, folder / "prior.onnx", keep=DURATION_PATH)
            feeds = graph_feeds(loaded, split, texts.texts)
            ort_quantize(split.flow, folder / "flow.onnx", feeds.flow, ("/flow/",))
        else:
            if prior is None:
                shutil.copyfile(split.prior, folder / "prior.onnx")
            else:
                export_prior(prior[0], split.prior, folder / "prior.onnx")
            if flow is None:
                shutil.copyfile(split.flow, folder / "flow.onnx")
            else:
                export_flow(flow[0], split.flow, folder / "flow.onnx")
        export_decoder(student, split.decoder, folder / "decoder.onnx")
        return {"prior": "prior.onnx", "flow": "flow.onnx", "decoder": "decoder.onnx"}

    description = {
        "method": method,
        "preset": method,
        "description": METHODS[method],
        "backend": "any",
        "toolkit": "edgetts+torch",
        "settings": {
            **asdict(settings),
            "flow_width": flow_width,
            "prior_layers": prior_layers,
            "float_scopes": list(DURATION_PATH),
        },
        "calibration": {
            "source": texts.source,
            "sha256": texts.sha256,
            "sentences": len(texts.texts),
        },
        "training": {
            "steps": state.step,
            "seconds": state.seconds,
            "steps_per_minute": 60 * state.step / state.seconds if state.seconds else None,
            "hardware": state.hardware,
            "curve_mcd_db": state.curve,
            "eval_sentences": len(eval_sentences),
            "decoder_channels": [len(k) for k in state.keep] or None,
            "flow": None if flow is None else flow[1],
            "prior": None if prior is None else prior[1],
        },
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


def narrow_flow(
    voice: Voice,
    texts: Sequence[str],
    eval_sentences: Sequence[str],
    *,
    width: float,
    steps: int,
    draws: int,
    seed: int,
) -> tuple[Any, dict[str, Any]]:
    """The flow distilled to ``width``, and its history for the manifest."""
    from ..train.flow import distill_flow, flow_pairs
    from ..train.model import VitsVoice

    model = VitsVoice.from_onnx(voice.model_path)
    train = flow_pairs(model, voice, texts, draws=draws, seed=seed)
    held_out = flow_pairs(model, voice, eval_sentences, draws=1, seed=seed + 1)
    flow, history = distill_flow(model.flow, train, held_out, width=width, steps=steps, seed=seed)
    record = {
        "width": width,
        "hidden": flow.hidden,
        "steps": history.steps,
        "seconds": history.seconds,
        "curve_z_l1": history.curve,
    }
    return flow, record


def cheaper_prior(
    voice: Voice,
    texts: Sequence[str],
    eval_sentences: Sequence[str],
    *,
    layers: int,
    steps: int,
    seed: int,
) -> tuple[Any, dict[str, Any]]:
    """The text encoder cut to ``layers`` and distilled, and its history."""
    from ..train.model import VitsVoice
    from ..train.prior import distill_prior, phoneme_sequences, shuffled_sentences

    model = VitsVoice.from_onnx(voice.model_path)
    sentences = [*texts, *shuffled_sentences(texts, min(steps, SHUFFLED_SENTENCES), seed)]
    train = phoneme_sequences(voice, sentences)
    held_out = phoneme_sequences(voice, eval_sentences)
    encoder, history = distill_prior(model, train, held_out, layers=layers, steps=steps, seed=seed)
    record = {
        "encoder_layers": encoder.kept,
        "sentences": len(sentences),
        "steps": history.steps,
        "seconds": history.seconds,
        "curve_mean_l1_logw_l1": history.curve,
    }
    return encoder, record
