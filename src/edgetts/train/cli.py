"""``python -m edgetts.train``: train students of a voice's decoder (extra ``train``).

::

    # here: train and store a variant (a progress bar; checkpoints to resume from)
    python -m edgetts.train qat --steps 2000 [--device cuda] [--resume]
    # or on a GPU machine without the voice: pack the teacher here (~40 MB) ...
    python -m edgetts.train pack teacher.pt
    # ... train there until a deadline (a stripped checkpoint per run in OUT) ...
    python -m edgetts.train fit teacher.pt OUT --method qat --minutes 6
    # ... and export and store the variant here, as far as it was trained
    python -m edgetts.train finish OUT/qat.pt --method qat

``qat``, ``prune`` and ``distill`` are
:func:`~edgetts.optimize.student.build_student_variant`; ``finish`` is one of
them with ``--resume`` and the settings the checkpoint was trained with. The
teacher travels packed (:func:`~edgetts.train.teacher.save_teacher`: its
decoder and float16 latents, smaller than the voice) and checkpoints come back
without optimizer state. Flags named after the fields of
:class:`~edgetts.train.settings.TrainSettings` and
:class:`~edgetts.train.settings.FlowPriorSettings` take their defaults from
them.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..optimize.cli import (
    add_build_arguments,
    add_graph_arguments,
    field_flags,
    held_out,
    report_variant,
    stored,
)
from . import require_torch
from .settings import PLATEAU_GAIN, PLATEAU_STEPS, FlowPriorSettings, TrainSettings

if TYPE_CHECKING:
    from .settings import TrainState
    from .student import Judge
    from .teacher import Teacher

__all__ = ["main"]

#: Where a run on a GPU departs from TrainSettings' defaults: the teacher packed
#: with more noise draws, and bigger batches.
PACKED_DRAWS = 8
GPU_BATCH = 32
PROBE_STEPS = 40  # fit times this many steps (after a warm-up) to size the run
PROBE_WARMUP = 10
CURVE_POINTS = 20  # checkpoints (and curve points) of a fit


def _student(args: argparse.Namespace) -> int:
    require_torch()
    from ..eval.report import progress_bar
    from ..optimize.student import build_student_variant, student_settings

    settings = student_settings(args.command, **field_flags(TrainSettings, args))
    graphs = FlowPriorSettings(**field_flags(FlowPriorSettings, args))
    if args.stop_rule and not settings.judge_every:
        raise ValueError("--stop-rule needs --judge-every: the rule reads the held-out DNSMOS")
    eval_sentences = held_out(args.eval_sentences)
    tick, close = progress_bar(settings.steps)
    shown = [0]

    def progress(state: TrainState) -> None:  # a resumed run starts at its checkpoint's step
        while shown[0] < state.step:
            tick()
            shown[0] += 1

    from .student import plateaued

    try:
        variant = build_student_variant(
            args.voice,
            method=args.command,
            settings=settings,
            graphs=graphs,
            device=args.device,
            resume=args.resume,
            calibration=args.calibration,
            eval_sentences=eval_sentences,
            **stored(args),
            progress=progress,
            judge=_judge(eval_sentences[: settings.eval_sentences], settings.judge_every),
            stop=plateaued if args.stop_rule else None,
        )
    finally:
        close()
    return report_variant(variant, args)


def _judge(texts: Sequence[str], every: int) -> Judge | None:
    """DNSMOS OVRL and SIG (means) and WER (%) of the student's held-out waveforms."""
    if not every:
        return None
    import numpy as np

    from ..eval import aggregate_wer, error_counts
    from ..eval.judges import DnsmosJudge, WhisperJudge

    dnsmos, whisper = DnsmosJudge(), WhisperJudge()

    def judge(waves: list[np.ndarray], rate: int) -> tuple[float, float, float]:
        scores = [dnsmos.score(w, rate) for w in waves]
        heard = [whisper.transcribe(w, rate) for w in waves]
        counts = [error_counts(t, h) for t, h in zip(texts, heard, strict=True)]
        ovrl = float(np.mean([s.ovrl for s in scores]))
        return ovrl, float(np.mean([s.sig for s in scores])), 100 * aggregate_wer(counts)

    return judge


def _pack(args: argparse.Namespace) -> int:
    require_torch()
    from ..optimize.calibration import load_calibration, load_corpus
    from ..optimize.student import train_work_dir
    from ..voice import Voice
    from .teacher import load_voice_teacher, save_teacher

    if args.corpus and args.calibration:
        raise ValueError("give --corpus or --calibration, not both")
    voice = Voice.load(args.voice)
    settings = TrainSettings(draws=args.draws)
    texts = load_corpus(args.corpus) if args.corpus else load_calibration(args.calibration)
    teacher = load_voice_teacher(
        voice,
        texts.texts,
        held_out(settings.eval_sentences),
        train_work_dir(voice, "teacher"),
        settings,
    )
    save_teacher(teacher, args.target)
    size = args.target.stat().st_size / 2**20
    pairs = f"{len(teacher.pairs)} pairs, {len(teacher.held_out)} held out"
    print(f"wrote the teacher of {voice.name} to {args.target}: {pairs}, {size:.1f} MB")
    return 0


def _seconds_per_step(teacher: Teacher, settings: TrainSettings, device: str) -> float:
    """Timed after a few warm-up steps (cuDNN picks its algorithms in the first)."""
    from .student import fit

    warm: list[float] = []

    def progress(state: TrainState) -> None:
        if state.step == PROBE_WARMUP:
            warm.append(state.seconds)

    with tempfile.TemporaryDirectory() as probe_dir:
        probe = dataclasses.replace(settings, steps=PROBE_STEPS, checkpoint_every=PROBE_STEPS)
        _, state = fit(teacher, Path(probe_dir), probe, device=device, progress=progress)
    return (state.seconds - warm[0]) / (PROBE_STEPS - PROBE_WARMUP)


def _fit(args: argparse.Namespace) -> int:
    require_torch()
    from ..optimize.student import student_settings
    from .checkpoint import CHECKPOINT, saved_settings, strip_checkpoint
    from .student import fit
    from .teacher import load_teacher

    deadline = time.monotonic() + 60 * args.minutes
    teacher = load_teacher(args.teacher, args.device)
    changes = {k: v for k, v in field_flags(TrainSettings, args).items() if v is not None}
    done = 0
    if args.resume:
        saved, done = saved_settings(args.resume)
        base = dataclasses.replace(saved, **changes)
    else:
        base = student_settings(
            args.method, **{"batch": GPU_BATCH, "draws": PACKED_DRAWS, **changes}
        )
    per_step = _seconds_per_step(teacher, base, args.device)
    # Leave a tenth for the curve's evaluations and the copies.
    more = max(1, int(0.9 * (deadline - time.monotonic()) / per_step))
    every = max(1, more // CURVE_POINTS)
    settings = dataclasses.replace(base, steps=done + more, checkpoint_every=every)
    label = args.name or args.method
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{label}: {per_step * 1000:.1f} ms/step in the probe, steps {done} -> {settings.steps}")
    target = args.out / f"{label}.pt"
    with tempfile.TemporaryDirectory(prefix="edgetts-fit-") as work_dir:
        work = Path(work_dir)  # OUT holds only what comes back
        if args.resume:
            shutil.copyfile(args.resume, work / CHECKPOINT)

        def progress(state: TrainState) -> None:
            if state.step % every == 0 or state.step == settings.steps:
                strip_checkpoint(work / CHECKPOINT, target)
                print(f"{label} step {state.step}: MCD {state.curve[-1][1]:.2f} dB", flush=True)

        fit(
            teacher, work, settings, device=args.device, progress=progress, resume=bool(args.resume)
        )
    return 0


def _finish(args: argparse.Namespace) -> int:
    require_torch()
    from ..optimize.student import build_student_variant, default_name, train_work_dir
    from ..voice import Voice
    from .checkpoint import CHECKPOINT, saved_settings

    planned, done = saved_settings(args.checkpoint)
    voice = Voice.load(args.voice)
    name = args.name or default_name(args.method)
    work = train_work_dir(voice, name)
    if (work / CHECKPOINT).is_file():  # a run of that name on this machine: keep it
        raise ValueError(
            f"{work / CHECKPOINT} exists (a run of the variant {name!r} here); "
            "finish under another --name"
        )
    work.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.checkpoint, work / CHECKPOINT)
    variant = build_student_variant(
        voice,
        method=args.method,
        # A run cut by its deadline is stored as far as it got (the cosine had not ended).
        settings=dataclasses.replace(planned, steps=done),
        graphs=FlowPriorSettings(**field_flags(FlowPriorSettings, args)),
        resume=True,
        calibration=args.calibration,
        eval_sentences=held_out(planned.eval_sentences),
        work_dir=work,
        **{**stored(args), "name": name},
    )
    return report_variant(variant, args)


#: The TrainSettings fields every student command sets by a flag of the same
#: name (type and default from the field).
_SETTING_FLAGS = (
    ("steps", "total training steps"),
    ("batch", "windows per step"),
    ("learning_rate", "the student's peak rate (cosine) or, with a critic, its initial rate"),
    ("draws", "noise draws per sentence"),
    ("adversarial", "weight of a critic's adversarial + feature-matching terms (0: off)"),
    ("mel_weight", "HiFi-GAN's mel L1 in place of the STFT loss, this weight (HiFi-GAN: 45)"),
    ("critic_width", "the critic's base channels (HiFi-GAN's: 32)"),
    ("critic_learning_rate", "the critic's initial rate"),
    ("lr_decay", "with a critic: both rates' factor per 1000 steps"),
    ("judge_every", "steps between held-out DNSMOS and WER points (0: none; eval extra)"),
    ("corpus", "train on the first N sentences of the training corpus (0: calibration set)"),
    ("shortest_fft", "the STFT loss's shortest FFT: 64, 128, 256 or 512 (sizes double to 2048)"),
)


#: Of those, the critic's, which ``fit`` takes as well.
_CRITIC_FLAGS = ("mel_weight", "critic_width", "critic_learning_rate", "lr_decay")


def _add_student(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], method: str, about: str
) -> None:
    from ..optimize.student import DEFAULT_WIDTHS, default_name

    student = sub.add_parser(method, help=about)
    student.set_defaults(func=_student)
    add_build_arguments(student, name=default_name(method), name_help="variant name", trains=True)
    student.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    for name, meaning in _SETTING_FLAGS:
        default = getattr(TrainSettings, name)
        flag = "--" + name.replace("_", "-")
        student.add_argument(flag, type=type(default), default=default, help=meaning)
    student.add_argument(
        "--stop-rule",
        action="store_true",
        help=f"stop when the last {PLATEAU_STEPS} steps gained less than {PLATEAU_GAIN} "
        "held-out DNSMOS OVRL (needs --judge-every)",
    )
    student.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    if method == "qat":  # QAT keeps the voice's decoder shape, flow and text encoder
        return
    widths = " ".join(map(str, DEFAULT_WIDTHS[method]))
    student.add_argument(
        "--widths", type=float, nargs="+", default=None, help=f"decoder width per phase ({widths})"
    )
    student.add_argument(
        "--istft-stages",
        type=int,
        default=TrainSettings.istft_stages,
        help="replace the decoder's last N upsampling stages with an inverse-STFT head",
    )
    add_graph_arguments(student, FlowPriorSettings())


def _add_pack_fit_finish(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from ..optimize.student import METHODS

    pack = sub.add_parser("pack", help="pack the voice's teacher into one file, to train elsewhere")
    pack.add_argument("target", type=Path)
    pack.add_argument("--voice", default=None)
    pack.add_argument("--calibration", type=Path, default=None, help="training sentences")
    pack.add_argument("--draws", type=int, default=PACKED_DRAWS, help="noise draws per sentence")
    pack.add_argument(
        "--corpus",
        type=int,
        default=TrainSettings.corpus,
        help="the first N corpus sentences instead of the calibration set (0: those)",
    )
    pack.set_defaults(func=_pack)

    fit = sub.add_parser("fit", help="train a packed teacher's student until a deadline")
    fit.add_argument("teacher", type=Path)
    fit.add_argument("out", type=Path, help="folder for the stripped checkpoint, OUT/NAME.pt")
    fit.add_argument("--method", choices=sorted(METHODS), required=True)
    fit.add_argument("--minutes", type=float, required=True, help="wall time, probe included")
    fit.add_argument("--resume", type=Path, default=None, help="go on from this checkpoint")
    fit.add_argument("--name", default=None, help="checkpoint OUT/NAME.pt (default: the method)")
    fit.add_argument("--device", default="cuda", help="torch device")
    # None: the checkpoint's value when resuming, else TrainSettings' (but GPU_BATCH and
    # PACKED_DRAWS).
    fit.add_argument("--batch", type=int, default=None, help=f"default {GPU_BATCH}")
    fit.add_argument("--learning-rate", type=float, default=None)
    fit.add_argument("--draws", type=int, default=None, help=f"as packed ({PACKED_DRAWS})")
    fit.add_argument("--widths", type=float, nargs="+", default=None)
    fit.add_argument("--adversarial", type=float, default=None, help="critic weight")
    for name, meaning in _SETTING_FLAGS:  # None: the checkpoint's, else the settings'
        if name in _CRITIC_FLAGS:
            default = getattr(TrainSettings, name)
            fit.add_argument("--" + name.replace("_", "-"), type=type(default), help=meaning)
    fit.add_argument("--istft-stages", type=int, default=None, help="on a resumed student too")
    fit.add_argument("--shortest-fft", type=int, default=None, help="the loss's shortest STFT")
    fit.set_defaults(func=_fit)

    finish = sub.add_parser("finish", help="store the variant of a checkpoint trained elsewhere")
    finish.add_argument("checkpoint", type=Path)
    finish.add_argument("--method", choices=sorted(METHODS), required=True)
    add_build_arguments(finish, name=None, name_help="variant name (the method's)", trains=False)
    add_graph_arguments(finish, FlowPriorSettings())
    finish.set_defaults(func=_finish)


def _parser() -> argparse.ArgumentParser:
    from ..optimize.student import METHODS

    parser = argparse.ArgumentParser(
        prog="python -m edgetts.train",
        description="Train students of a voice's decoder against the fp32 voice.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what is chosen")
    sub = parser.add_subparsers(dest="command", required=True)
    for method, about in METHODS.items():
        _add_student(sub, method, about)
    _add_pack_fit_finish(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from ..cli import run

    return run(_parser(), argv)
