"""The loop that trains a student decoder against the fp32 voice: QAT, pruning,
distillation.

The student starts as the teacher's decoder (:mod:`edgetts.train.teacher`),
then is either fake-quantised (:mod:`edgetts.train.quant`; ``quantize``) or
pruned to a schedule of widths (:mod:`edgetts.train.prune`; ``widths``, one
training phase each, the first pruning at step 0). It is trained on random
windows of ``z`` (with the streaming decoder's context on both sides) to
reproduce the teacher's samples under a multi-resolution STFT + mel loss
(``shortest_fft``: its shortest STFT), optionally with a critic's adversarial
and feature-matching terms (:mod:`edgetts.train.adversarial`; ``adversarial``,
their weight). A resumed run may change either to fine-tune a student trained
without them (with a learning-rate schedule of its own). Checkpoints are
written atomically every ``checkpoint_every`` steps; ``resume`` continues from
the last one with the same data order (:mod:`edgetts.train.checkpoint` says
which settings may change). The settings are :class:`TrainSettings`.

Training runs on any torch device (``device="cuda"``).
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..eval.fidelity import fidelity
from ..eval.sysinfo import cpu_model
from ..streaming import DECODER_CONTEXT
from ..voice import Voice
from .adversarial import Critic
from .checkpoint import CHECKPOINT, finished, load_checkpoint, write_torch
from .istft import attach_istft_head
from .losses import SpectralLoss
from .model import Generator
from .prune import channel_importance, compose, decoder_widths, keep_top, prune_decoder
from .quant import calibrate, quantize_decoder
from .settings import TrainSettings, TrainState
from .teacher import Pair, Teacher, decode, load_voice_teacher, torch_device

__all__ = ["fit", "train_student"]


def _batch(
    pairs: Sequence[Pair], settings: TrainSettings, hop: int, state: TrainState
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows of z (with context) and the teacher's samples for their middles."""
    rng = np.random.default_rng([settings.seed, state.step])  # the same batches after a resume
    size, ctx = settings.segment_frames, DECODER_CONTEXT
    usable = [p for p in pairs if p[0].shape[1] >= size + 2 * ctx]
    latents, targets = [], []
    for index in rng.integers(len(usable), size=settings.batch):
        z, wav = usable[index]
        start = int(rng.integers(ctx, z.shape[1] - size - ctx + 1))
        latents.append(z[:, start - ctx : start + size + ctx])
        targets.append(wav[start * hop : (start + size) * hop])
    return torch.from_numpy(np.stack(latents)), torch.from_numpy(np.stack(targets))


def _mcd(decoder: torch.nn.Module, pairs: Sequence[Pair], rate: int, device: torch.device) -> float:
    scores = [fidelity(decode(decoder, z, device), wav, rate).mcd_db for z, wav in pairs]
    return float(np.mean(scores))


def _prune_phase(
    student: Generator, teacher: Generator, width: float, state: TrainState
) -> Generator:
    """Prune the trained ``student`` to ``width`` of the teacher (importance measured on it)."""
    full = decoder_widths(teacher)
    inner = keep_top(channel_importance(student), [max(1, round(width * w)) for w in full])
    outer = [torch.tensor(k) for k in state.keep] or [torch.arange(w) for w in full]
    state.keep = [k.tolist() for k in compose(outer, inner)]
    state.phase += 1
    return prune_decoder(student, inner)


def _with_head(student: Generator, settings: TrainSettings, state: TrainState) -> Generator:
    """The inverse-STFT head goes on after the last pruning (importance is measured
    on whole HiFi-GAN stages)."""
    if settings.istft_stages and student.head is None and state.phase >= len(settings.widths):
        attach_istft_head(student, settings.istft_stages)
    return student


CRITIC_WARMUP = 300  # steps over which the critic's weight ramps up from 0


@dataclass
class _Adversary:
    critic: Critic
    optimizer: torch.optim.Optimizer
    weight: float


def _train_step(
    student: Generator,
    optimizer: torch.optim.Optimizer,
    loss_fn: SpectralLoss,
    batch: tuple[torch.Tensor, torch.Tensor],
    *,
    hop: int,
    state: TrainState,
    adversary: _Adversary | None = None,
) -> None:
    started = time.perf_counter()
    student.train()
    latents, targets = batch
    out = student(latents).reshape(len(latents), -1)
    start = DECODER_CONTEXT * hop  # the context on each side is decoded, not scored
    scored = out[:, start : start + targets.shape[1]]
    spectral = loss_fn(scored, targets)
    loss = spectral
    if adversary is not None:
        critic_loss = adversary.critic.critic_loss(targets, scored)
        adversary.optimizer.zero_grad()
        torch.autograd.backward(critic_loss)
        adversary.optimizer.step()
        # The critic trains alone first: a fresh one's verdicts are noise to the student.
        ramp = min(1.0, (state.step - state.schedule_start) / CRITIC_WARMUP)
        if ramp > 0:
            fooling, matching = adversary.critic.student_loss(targets, scored)
            loss = spectral + ramp * adversary.weight * (fooling + 2 * matching)  # HiFi-GAN 1:2
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    state.step += 1
    state.losses.append(spectral.item())  # comparable with or without the critic
    state.seconds += time.perf_counter() - started


def _optimizer(student: Generator, settings: TrainSettings) -> torch.optim.Optimizer:
    scales = [p for n, p in student.named_parameters() if n.endswith("log_scale")]
    weights = [p for n, p in student.named_parameters() if not n.endswith("log_scale")]
    groups = [{"params": weights, "lr": settings.learning_rate}]
    if scales:
        groups.append({"params": scales, "lr": settings.scale_learning_rate})
    return torch.optim.Adam(groups)


def _set_learning_rate(
    optimizer: torch.optim.Optimizer, settings: TrainSettings, state: TrainState
) -> None:
    """Cosine decay to zero from ``state.schedule_start`` to ``settings.steps`` (a
    longer resumed run stretches it)."""
    done, span = state.step - state.schedule_start, settings.steps - state.schedule_start
    factor = 0.5 * (1 + math.cos(math.pi * min(done, span) / max(span, 1)))
    bases = (settings.learning_rate, settings.scale_learning_rate)
    for group, base in zip(optimizer.param_groups, bases, strict=False):
        group["lr"] = base * factor


def _phase_starts(settings: TrainSettings) -> list[int]:
    phases = len(settings.widths)
    return [settings.steps * k // phases for k in range(phases)]


def _hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (torch {torch.__version__})"
    return f"{cpu_model()}, {os.cpu_count()} cpus (torch {torch.__version__})"


def _start(
    teacher: Teacher,
    settings: TrainSettings,
    saved: dict[str, Any] | None,
    state: TrainState,
    where: torch.device,
) -> tuple[Generator, torch.optim.Optimizer]:
    """The student as the checkpoint left it (or as it starts) and its optimizer."""
    before = TrainSettings.saved(saved["settings"]) if saved else settings
    grafted = before.istft_stages != settings.istft_stages  # a head on trained stages
    new_loss = (before.adversarial, before.shortest_fft) != (
        settings.adversarial,
        settings.shortest_fft,
    )
    if grafted or new_loss:
        state.schedule_start = state.step  # fine-tuning: a schedule of its own
    student: Generator = copy.deepcopy(teacher.decoder)
    if state.keep:
        student = prune_decoder(teacher.decoder, [torch.tensor(k) for k in state.keep])
    student = _with_head(student, before, state)
    quants = quantize_decoder(student) if settings.quantize else {}
    student.to(where)
    if quants and saved is None:
        samples = [torch.from_numpy(z)[None].to(where) for z, _ in teacher.pairs[:16]]
        calibrate(student, quants, samples)
    if saved is not None:
        student.load_state_dict(saved["student"])
    if grafted:
        student = _with_head(student, settings, state).to(where)
    optimizer = _optimizer(student, settings)
    if saved is not None and "optimizer" in saved and not grafted:
        optimizer.load_state_dict(saved["optimizer"])
    return student, optimizer


def fit(
    teacher: Teacher,
    work_dir: Path,
    settings: TrainSettings,
    *,
    resume: bool = False,
    progress: Callable[[TrainState], None] | None = None,
    device: str = "cpu",
) -> tuple[Generator, TrainState]:
    """Train a student of ``teacher.decoder``; return it (on the CPU) and its history.

    A checkpoint without optimizer state (:func:`strip_checkpoint`) resumes
    with a fresh optimizer.
    """
    torch.manual_seed(settings.seed)
    where = torch_device(device)
    work_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = work_dir / CHECKPOINT
    saved = load_checkpoint(checkpoint, settings) if resume else None
    state = TrainState(**saved["state"]) if saved else TrainState()
    student, optimizer = _start(teacher, settings, saved, state, where)
    loss_fn = SpectralLoss(teacher.sample_rate, shortest_fft=settings.shortest_fft).to(where)
    adversary = _adversary(settings, saved, where)
    hop, rate, held_out = teacher.decoder.hop, teacher.sample_rate, teacher.held_out
    starts = _phase_starts(settings)
    if state.step < settings.steps:
        state.hardware = _hardware(where)
    while state.step < settings.steps:
        if state.phase < len(starts) and state.step >= starts[state.phase]:
            # Prune the trained student further; importance is measured on it.
            pruned = _prune_phase(
                student.cpu(), teacher.decoder, settings.widths[state.phase], state
            )
            student = _with_head(pruned, settings, state).to(where)
            optimizer = _optimizer(student, settings)
        if not state.curve:  # where training starts from
            student.eval()
            state.curve.append((0, _mcd(student, held_out, rate, where)))
        _set_learning_rate(optimizer, settings, state)
        latents, targets = _batch(teacher.pairs, settings, hop, state)
        batch = (latents.to(where), targets.to(where))
        _train_step(student, optimizer, loss_fn, batch, hop=hop, state=state, adversary=adversary)
        if state.step % settings.checkpoint_every == 0 or state.step == settings.steps:
            student.eval()
            state.curve.append((state.step, _mcd(student, held_out, rate, where)))
            payload = {
                "settings": asdict(settings),
                "student": student.state_dict(),
                "optimizer": optimizer.state_dict(),
                "state": asdict(state),
            }
            if adversary is not None:
                payload["critic"] = adversary.critic.state_dict()
                payload["critic_optimizer"] = adversary.optimizer.state_dict()
            write_torch(checkpoint, payload)
        if progress:
            progress(state)
    return student.cpu().eval(), state


def _adversary(
    settings: TrainSettings, saved: dict[str, Any] | None, where: torch.device
) -> _Adversary | None:
    """The critic and its optimizer when ``settings.adversarial`` is on (a fresh critic
    when the checkpoint was trained without one)."""
    if not settings.adversarial:
        return None
    critic = Critic().to(where)
    # HiFi-GAN's betas; a constant rate, so that the critic keeps up as the student's decays.
    optimizer = torch.optim.Adam(critic.parameters(), settings.learning_rate, betas=(0.8, 0.99))
    if saved is not None and "critic" in saved:
        critic.load_state_dict(saved["critic"])
        if "critic_optimizer" in saved:
            optimizer.load_state_dict(saved["critic_optimizer"])
    return _Adversary(critic, optimizer, settings.adversarial)


def train_student(
    voice: Voice,
    train_texts: Sequence[str],
    eval_texts: Sequence[str],
    work_dir: Path,
    settings: TrainSettings,
    *,
    resume: bool = False,
    progress: Callable[[TrainState], None] | None = None,
    teacher_dir: Path | None = None,
    device: str = "cpu",
) -> tuple[Generator, TrainState]:
    """Train the student decoder; return it and the history (with the MCD curve).

    The checkpoint goes in ``work_dir``; teacher pairs are cached in
    ``teacher_dir`` (default ``work_dir/teacher``), which methods may share:
    the cache key covers the voice, texts, draws and seed.
    """
    done = resume and finished(work_dir, settings)
    cache = teacher_dir or work_dir / "teacher"
    teacher = load_voice_teacher(voice, train_texts, eval_texts, cache, settings, pairs=not done)
    return fit(teacher, work_dir, settings, resume=resume, progress=progress, device=device)
