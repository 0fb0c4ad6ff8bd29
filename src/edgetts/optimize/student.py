"""``python -m edgetts.train qat | prune | distill``: decoders trained against the fp32
voice.

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
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import home_dir
from ..split import split_voice
from ..train.settings import FlowPriorSettings, TrainSettings, TrainState
from ..variants import Variant
from ..voice import Voice
from .calibration import graph_feeds, load_calibration, load_corpus
from .ptq import DURATION_PATH, ort_quantize
from .store import check_new_variant, store_variant
from .weights import compress_weights

if TYPE_CHECKING:
    from ..train.student import Judge  # imports torch

__all__ = [
    "DEFAULT_WIDTHS",
    "METHODS",
    "build_student_variant",
    "cheaper_prior",
    "default_name",
    "narrow_flow",
    "student_settings",
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


def train_work_dir(voice: Voice, name: str) -> Path:
    """Where training keeps the checkpoint of the variant ``name``, so that two
    students of one method train side by side (``name="teacher"``: the shared
    cache of teacher pairs)."""
    return home_dir() / "train" / voice.name / name


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; methods: {sorted(METHODS)}")


def student_settings(method: str, **changes: Any) -> TrainSettings:
    """The :class:`TrainSettings` ``method`` trains with: ``qat`` quantises, ``prune``
    and ``distill`` prune to :data:`DEFAULT_WIDTHS` unless ``widths`` is given;
    ``changes`` set the other fields."""
    _check_method(method)
    widths = changes.pop("widths", None)
    chosen = DEFAULT_WIDTHS[method] if widths is None else widths
    return TrainSettings(quantize=method == "qat", widths=tuple(chosen), **changes)


_TRAIN_FIELDS = frozenset(f.name for f in fields(TrainSettings))
_GRAPH_FIELDS = frozenset(f.name for f in fields(FlowPriorSettings))


def _chosen_settings(
    method: str,
    settings: TrainSettings | None,
    graphs: FlowPriorSettings | None,
    changes: dict[str, Any],
) -> tuple[TrainSettings, FlowPriorSettings]:
    """``settings`` and ``graphs``, or ones made of the keywords; not both."""
    _check_method(method)
    unknown = sorted(set(changes) - _TRAIN_FIELDS - _GRAPH_FIELDS)
    if unknown:
        raise TypeError(
            f"unknown settings {unknown}: not fields of TrainSettings or FlowPriorSettings"
        )
    train = {k: v for k, v in changes.items() if k in _TRAIN_FIELDS}
    graph = {k: v for k, v in changes.items() if k in _GRAPH_FIELDS}
    for container, given, name in ((settings, train, "settings"), (graphs, graph, "graphs")):
        if container is not None and given:
            raise TypeError(f"pass {sorted(given)} inside {name}, not beside it")
    chosen = student_settings(method, **train) if settings is None else settings
    if chosen.quantize != (method == "qat"):
        raise ValueError(
            f"method {method!r} needs settings with quantize={method == 'qat'}, "
            f"got {chosen.quantize}: see student_settings()"
        )
    return chosen, FlowPriorSettings(**graph) if graphs is None else graphs


def build_student_variant(
    voice: str | os.PathLike[str] | Voice | None = None,
    *,
    method: str = "qat",
    settings: TrainSettings | None = None,
    graphs: FlowPriorSettings | None = None,
    device: str = "cpu",
    resume: bool = False,
    calibration: str | os.PathLike[str] | None = None,
    eval_sentences: Sequence[str] = (),
    name: str | None = None,
    replace: bool = False,
    check_sentences: Sequence[str] = (),
    progress: Callable[[Any], None] | None = None,
    work_dir: Path | None = None,
    judge: Judge | None = None,
    stop: Callable[[TrainState], bool] | None = None,
    **changes: Any,
) -> Variant:
    """Train (or resume) a student decoder and store the variant.

    ``settings`` is the decoder's training (default: :func:`student_settings` of
    ``method``), ``graphs`` the flow and text encoder the variant gets (default:
    the voice's own); ``changes`` are keyword sugar for their fields
    (``steps=2``, ``flow_width=0.5``), given instead of them, not beside.
    The decoder trains on the calibration set, or on the first
    ``settings.corpus`` sentences of the training corpus (``settings.draws`` noise
    draws each); ``eval_sentences`` (held out, at most ``settings.eval_sentences``)
    give the quality-vs-steps curve recorded in the manifest. ``device`` is a
    torch device (``"cuda"`` trains on a GPU). A resumed run may change the
    settings :mod:`edgetts.train.checkpoint` allows (the critic's weight, the
    inverse-STFT head, the loss's shortest STFT, steps, batch, learning rate).
    ``judge`` and ``stop`` are :func:`~edgetts.train.student.fit`'s.
    """
    from ..train.export import export_decoder
    from ..train.flow import check_flow_settings, export_flow
    from ..train.model import VitsVoice
    from ..train.prior import check_prior_settings, encoder_layers
    from ..train.prior_graph import export_prior
    from ..train.student import train_student

    settings, graphs = _chosen_settings(method, settings, graphs, changes)
    if method == "qat" and graphs.flow_width != 1:
        raise ValueError(
            f"qat keeps the voice's flow (static int8); flow_width {graphs.flow_width!r}"
        )
    if method == "qat" and graphs.prior_layers:
        raise ValueError(
            f"qat keeps the voice's prior (int8 weights); prior_layers {graphs.prior_layers}"
        )
    check_flow_settings(graphs.flow_width, graphs.flow_steps)  # before the decoder's training
    loaded = voice if isinstance(voice, Voice) else Voice.load(voice)
    if graphs.prior_layers:
        layers = encoder_layers(loaded.model_path)
        check_prior_settings(graphs.prior_layers, layers, graphs.prior_steps)
    if not eval_sentences:
        raise ValueError("eval_sentences is empty: give held-out sentences for the curve")
    name = name or default_name(method)
    check_new_variant(loaded, name, replace)
    texts = load_calibration(calibration)
    work = work_dir or train_work_dir(loaded, name)
    teachers = None if work_dir else train_work_dir(loaded, "teacher")
    spoken = load_corpus(settings.corpus) if settings.corpus else texts
    student, state = train_student(
        loaded,
        spoken.texts,
        eval_sentences,
        work,
        settings,
        resume=resume,
        progress=progress,
        teacher_dir=teachers,
        device=device,
        judge=judge,
        stop=stop,
    )
    split = split_voice(loaded.model_path)
    flow = None
    if graphs.flow_width != 1:
        flow = narrow_flow(
            loaded,
            texts.texts,
            eval_sentences,
            width=graphs.flow_width,
            steps=graphs.flow_steps,
            draws=settings.draws,
            seed=settings.seed,
        )
    prior = None
    if graphs.prior_layers:
        prior = cheaper_prior(
            loaded,
            texts.texts,
            eval_sentences,
            layers=graphs.prior_layers,
            steps=graphs.prior_steps,
            seed=settings.seed,
        )

    def build(folder: Path) -> dict[str, str]:
        if method == "qat":
            compress_weights(split.prior, folder / "prior.onnx", keep=DURATION_PATH)
            feeds = graph_feeds(loaded, split, texts.texts)
            ort_quantize(split.flow, folder / "flow.onnx", feeds.flow, ("/flow/",))
        else:
            model = VitsVoice.from_onnx(loaded.model_path)
            encoder = model.enc_p if prior is None else prior[0]
            export_prior(encoder, model.dp, split, folder / "prior.onnx")
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
        "settings": {**asdict(settings), **asdict(graphs), "float_scopes": list(DURATION_PATH)},
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
            "sentences": {"source": spoken.source, "sha256": spoken.sha256},
            "curve_mcd_db": state.curve,
            "quality": state.quality,
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
