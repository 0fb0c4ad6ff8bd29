"""Train students on another machine (a GPU) without the voice or the teacher pairs.

The teacher travels packed (its decoder and float16 latents, ~40 MB, smaller
than the 63 MB voice) and the trained checkpoints come back without optimizer
state::

    # here: pack the teacher of the default voice (the calibration sentences)
    python bench/gpu_train.py pack .gpu/teacher.pt --draws 8
    # on the GPU: train until a deadline, a stripped checkpoint per method in OUT
    python bench/gpu_train.py fit .gpu/teacher.pt OUT --method qat --minutes 6 \\
        --batch 32 --learning-rate 1.5e-4
    # ... or go on from one (its settings; a fresh optimizer, the cosine stretched)
    python bench/gpu_train.py fit .gpu/teacher.pt OUT --method qat --minutes 6 \\
        --resume OUT/qat.pt
    # ... or fine-tune one with the critic switched on (a new cosine), here on the CPU
    python bench/gpu_train.py fit .gpu/teacher.pt OUT --method distill --minutes 50 \\
        --resume OUT/distill.pt --adversarial 0.3 --batch 8 --learning-rate 5e-5 \\
        --device cpu --name distill-gan
    # here: export and store the variant as far as it was trained (no step runs)
    python bench/gpu_train.py finish OUT/qat.pt --method qat

``finish`` is ``edgetts optimize METHOD --resume`` with the settings the
checkpoint was trained with; on a machine that has the voice and a GPU, run
that command with ``--device cuda`` directly instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from edgetts.eval import dev_sentences
from edgetts.optimize.calibration import load_calibration
from edgetts.optimize.student import (
    DEFAULT_WIDTHS,
    build_student_variant,
    default_name,
    train_work_dir,
)
from edgetts.train.student import (
    Teacher,
    TrainSettings,
    TrainState,
    fit,
    load_teacher,
    load_voice_teacher,
    save_teacher,
    strip_checkpoint,
)
from edgetts.voice import Voice

EVAL_SENTENCES = 4  # the CLI's default --eval
PROBE_STEPS = 40
PROBE_WARMUP = 10
CURVE_POINTS = 20


def _settings(method: str, widths: list[float] | None, **fields: Any) -> TrainSettings:
    chosen = DEFAULT_WIDTHS[method] if widths is None else widths
    return TrainSettings(quantize=method == "qat", widths=tuple(chosen), **fields)


def pack(args: argparse.Namespace) -> None:
    voice = Voice.load(args.voice)
    settings = TrainSettings(draws=args.draws, eval_sentences=EVAL_SENTENCES)
    teacher = load_voice_teacher(
        voice,
        load_calibration(None).texts,
        dev_sentences()[-EVAL_SENTENCES:],
        train_work_dir(voice, "teacher"),
        settings,
    )
    save_teacher(teacher, args.target)
    print(f"{args.target}: {len(teacher.pairs)} pairs, {args.target.stat().st_size / 1e6:.1f} MB")


def _saved_settings(checkpoint: Path) -> tuple[TrainSettings, int]:
    """The settings a checkpoint was trained with, and the steps it has done."""
    import torch

    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    return TrainSettings.saved(saved["settings"]), saved["state"]["step"]


def _seconds_per_step(teacher: Teacher, settings: TrainSettings, device: str) -> float:
    """Timed after a few warm-up steps (cuDNN picks its algorithms in the first)."""
    warm: list[float] = []

    def progress(state: TrainState) -> None:
        if state.step == PROBE_WARMUP:
            warm.append(state.seconds)

    with tempfile.TemporaryDirectory() as probe_dir:
        probe = dataclasses.replace(settings, steps=PROBE_STEPS, checkpoint_every=PROBE_STEPS)
        _, state = fit(teacher, Path(probe_dir), probe, device=device, progress=progress)
    return (state.seconds - warm[0]) / (PROBE_STEPS - PROBE_WARMUP)


def run_fit(args: argparse.Namespace) -> None:
    deadline = time.monotonic() + 60 * args.minutes
    teacher = load_teacher(args.teacher, args.device)
    done = 0
    overrides = ("batch", "learning_rate", "adversarial", "istft_stages", "shortest_fft")
    changes = {k: getattr(args, k) for k in overrides if getattr(args, k) is not None}
    if args.resume:
        saved, done = _saved_settings(args.resume)
        base = dataclasses.replace(saved, **changes)
    else:
        base = _settings(
            args.method,
            args.widths,
            **{"batch": 32, "learning_rate": 1e-4, **changes},
            draws=args.draws,
            eval_sentences=EVAL_SENTENCES,
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
    work = Path(tempfile.mkdtemp(prefix="edgetts-fit-"))  # OUT holds only what comes back
    if args.resume:
        shutil.copyfile(args.resume, work / "student.pt")

    def progress(state: TrainState) -> None:
        if state.step % every == 0 or state.step == settings.steps:
            strip_checkpoint(work / "student.pt", target)
            print(f"{label} step {state.step}: MCD {state.curve[-1][1]:.2f} dB", flush=True)

    fit(teacher, work, settings, device=args.device, progress=progress, resume=bool(args.resume))
    shutil.rmtree(work)


def finish(args: argparse.Namespace) -> None:
    planned, done = _saved_settings(args.checkpoint)
    # A run cut by its deadline is stored as far as it got (the cosine had not ended).
    settings = dataclasses.replace(planned, steps=done)
    voice = Voice.load(args.voice)
    name = args.name or default_name(args.method)
    work = train_work_dir(voice, name)  # not the method's own: that checkpoint stays
    work.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.checkpoint, work / "student.pt")
    dev = dev_sentences()
    variant = build_student_variant(
        voice,
        method=args.method,
        steps=settings.steps,
        widths=settings.widths,
        batch=settings.batch,
        learning_rate=settings.learning_rate,
        draws=settings.draws,
        adversarial=settings.adversarial,
        istft_stages=settings.istft_stages,
        shortest_fft=settings.shortest_fft,
        flow_width=args.flow_width,
        prior_layers=args.prior_layers,
        resume=True,
        eval_sentences=dev[-settings.eval_sentences :],
        name=name,
        replace=args.force,
        work_dir=work,
        check_sentences=dev[:10],
    )
    print(f"stored {variant.name}: {variant.folder}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voice", default=None)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="pack the teacher into one file")
    p.add_argument("target", type=Path)
    p.add_argument("--draws", type=int, default=8)
    p.set_defaults(func=pack)
    f = sub.add_parser("fit", help="train one method until a deadline")
    f.add_argument("teacher", type=Path)
    f.add_argument("out", type=Path)
    f.add_argument("--method", choices=sorted(DEFAULT_WIDTHS), required=True)
    f.add_argument("--minutes", type=float, required=True, help="wall time, probe included")
    f.add_argument("--batch", type=int, default=None, help="default 32, or the checkpoint's")
    f.add_argument("--adversarial", type=float, default=None, help="critic weight (default 0)")
    f.add_argument(
        "--learning-rate", type=float, default=None, help="default 1e-4, or the checkpoint's"
    )
    f.add_argument("--draws", type=int, default=8, help="as packed (kept in the settings)")
    f.add_argument("--widths", type=float, nargs="+", default=None)
    f.add_argument(
        "--istft-stages", type=int, default=None, help="inverse-STFT head (on a resumed one too)"
    )
    f.add_argument(
        "--shortest-fft", type=int, default=None, help="the loss's shortest STFT (default 512)"
    )
    f.add_argument("--device", default="cuda")
    f.add_argument("--resume", type=Path, default=None, help="go on from this checkpoint")
    f.add_argument("--name", default=None, help="checkpoint OUT/NAME.pt (default: the method)")
    f.set_defaults(func=run_fit)
    d = sub.add_parser("finish", help="store the variant of a checkpoint trained elsewhere")
    d.add_argument("checkpoint", type=Path)
    d.add_argument("--method", choices=sorted(DEFAULT_WIDTHS), required=True)
    d.add_argument("--name", default=None)
    d.add_argument("--force", action="store_true")
    d.add_argument("--flow-width", type=float, default=1.0, help="distil a narrower flow here")
    d.add_argument(
        "--prior-layers", type=int, default=0, help="and a cheaper prior (encoder layers kept)"
    )
    d.set_defaults(func=finish)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
