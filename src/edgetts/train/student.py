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
their weight), and with ``mel_weight`` HiFi-GAN's mel L1 in place of the STFT
loss (HiFi-GAN's objective is ``mel_weight=45, adversarial=1``). A resumed
run may change these to fine-tune a student trained without them (with a
learning-rate schedule of its own). Checkpoints are written atomically every
``checkpoint_every`` steps; ``resume`` continues from the last one with the
same data order (:mod:`edgetts.train.checkpoint` says which settings may
change). The settings are :class:`TrainSettings`.

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
from .losses import MelLoss, SpectralLoss
from .model import Generator
from .prune import channel_importance, compose, decoder_widths, keep_top, prune_decoder
from .quant import calibrate, quantize_decoder
from .settings import PLATEAU_GAIN, PLATEAU_STEPS, TrainSettings, TrainState
from .teacher import Pair, Teacher, decode, load_voice_teacher, torch_device

__all__ = ["Judge", "fit", "plateaued", "train_student"]

#: Scores the student's waveforms of the held-out sentences (and their sample
#: rate): (DNSMOS OVRL, SIG, WER %).
Judge = Callable[[list[np.ndarray], int], tuple[float, float, float]]


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
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
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
    reconstruction = loss_fn(scored, targets)
    loss = reconstruction
    if adversary is not None:
        critic_loss = adversary.critic.critic_loss(targets, scored)
        adversary.optimizer.zero_grad()
        torch.autograd.backward(critic_loss)
        adversary.optimizer.step()
        # The critic trains alone first: a fresh one's verdicts are noise to the student.
        ramp = min(1.0, (state.step - state.schedule_start) / CRITIC_WARMUP)
        if ramp > 0:
            fooling, matching = adversary.critic.student_loss(targets, scored)
            loss = reconstruction + ramp * adversary.weight * (fooling + 2 * matching)  # 1:2
    optimizer.zero_grad()
    torch.autograd.backward(loss)
    optimizer.step()
    state.step += 1
    state.losses.append(reconstruction.item())  # comparable with or without the critic
    state.seconds += time.perf_counter() - started


def _reconstruction(
    settings: TrainSettings, rate: int, where: torch.device
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The STFT loss, or HiFi-GAN's weighted mel L1 (``mel_weight``)."""
    if not settings.mel_weight:
        return SpectralLoss(rate, shortest_fft=settings.shortest_fft).to(where)
    mel, weight = MelLoss(rate).to(where), settings.mel_weight
    return lambda student, teacher: weight * mel(student, teacher)


def _optimizer(student: Generator, settings: TrainSettings) -> torch.optim.Optimizer:
    scales = [p for n, p in student.named_parameters() if n.endswith("log_scale")]
    weights = [p for n, p in student.named_parameters() if not n.endswith("log_scale")]
    groups = [{"params": weights, "lr": settings.learning_rate}]
    if scales:
        groups.append({"params": scales, "lr": settings.scale_learning_rate})
    if settings.adversarial:  # HiFi-GAN's
        return torch.optim.AdamW(groups, betas=(0.8, 0.99))
    return torch.optim.Adam(groups)


def _set_learning_rate(
    optimizer: torch.optim.Optimizer,
    settings: TrainSettings,
    state: TrainState,
    adversary: _Adversary | None,
) -> None:
    """Without a critic, a cosine to zero from ``state.schedule_start`` to
    ``settings.steps`` (a longer resumed run stretches it); with one, both rates
    decay by ``lr_decay`` every 1 000 steps from there, open-ended."""
    done, span = state.step - state.schedule_start, settings.steps - state.schedule_start
    if adversary is not None:
        factor = settings.lr_decay ** (done / 1000)
        for group in adversary.optimizer.param_groups:
            group["lr"] = settings.critic_learning_rate * factor
    else:
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
    new_loss = (before.adversarial, before.shortest_fft, before.mel_weight) != (
        settings.adversarial,
        settings.shortest_fft,
        settings.mel_weight,
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
    if saved is not None and "optimizer" in saved and not (grafted or new_loss):
        optimizer.load_state_dict(saved["optimizer"])  # a new loss gets a fresh optimizer
    return student, optimizer


def fit(
    teacher: Teacher,
    work_dir: Path,
    settings: TrainSettings,
    *,
    resume: bool = False,
    progress: Callable[[TrainState], None] | None = None,
    device: str = "cpu",
    judge: Judge | None = None,
    stop: Callable[[TrainState], bool] | None = None,
) -> tuple[Generator, TrainState]:
    """Train a student of ``teacher.decoder``; return it (on the CPU) and its history.

    With ``judge`` (and ``settings.judge_every``), the student's waveforms of the
    held-out sentences are scored where training starts and every
    ``judge_every`` steps (``state.quality``); ``stop`` may then end the run
    early (a stop rule), after a checkpoint. A checkpoint without optimizer
    state (:func:`strip_checkpoint`) resumes with a fresh optimizer.
    """
    torch.manual_seed(settings.seed)
    where = torch_device(device)
    work_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = work_dir / CHECKPOINT
    saved = load_checkpoint(checkpoint, settings) if resume else None
    state = TrainState(**saved["state"]) if saved else TrainState()
    student, optimizer = _start(teacher, settings, saved, state, where)
    loss_fn = _reconstruction(settings, teacher.sample_rate, where)
    adversary = _adversary(settings, saved, where)
    hop, rate, held_out = teacher.decoder.hop, teacher.sample_rate, teacher.held_out
    starts = _phase_starts(settings)

    def save() -> None:
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

    def judged() -> bool:
        """Score the held-out sentences if one is due; whether one was."""
        last = state.quality[-1][0] if state.quality else -1
        due = state.step == state.schedule_start or state.step - last >= settings.judge_every
        if judge is None or not settings.judge_every or not due or last == state.step:
            return False
        student.eval()
        waves = [decode(student, z, where) for z, _ in held_out]
        state.quality.append((state.step, *judge(waves, rate)))
        return True

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
        judged()
        _set_learning_rate(optimizer, settings, state, adversary)
        latents, targets = _batch(teacher.pairs, settings, hop, state)
        batch = (latents.to(where), targets.to(where))
        _train_step(student, optimizer, loss_fn, batch, hop=hop, state=state, adversary=adversary)
        ending = judged() and stop is not None and stop(state)
        if ending or state.step % settings.checkpoint_every == 0 or state.step == settings.steps:
            student.eval()
            state.curve.append((state.step, _mcd(student, held_out, rate, where)))
            save()
        if progress:
            progress(state)
        if ending:
            break
    return student.cpu().eval(), state


def plateaued(state: TrainState, steps: int = PLATEAU_STEPS, gain: float = PLATEAU_GAIN) -> bool:
    """The stop rule: the last ``steps`` steps gained less than ``gain`` held-out
    DNSMOS OVRL: the best of the last three points against the best up to
    ``steps`` before the last. Only points since this schedule started (the
    critic joined) count, so a run from a trained student is judged from there."""
    points = [q for q in state.quality if q[0] >= state.schedule_start]
    if len(points) < 2 or points[-1][0] - points[0][0] < steps:
        return False
    before = max(q[1] for q in points if q[0] <= points[-1][0] - steps)
    return max(q[1] for q in points[-3:]) - before < gain


def _adversary(
    settings: TrainSettings, saved: dict[str, Any] | None, where: torch.device
) -> _Adversary | None:
    """The critic and its optimizer when ``settings.adversarial`` is on (a fresh critic
    when the checkpoint was trained without one)."""
    if not settings.adversarial:
        return None
    critic = Critic(settings.critic_width).to(where)
    optimizer = torch.optim.AdamW(
        critic.parameters(), settings.critic_learning_rate, betas=(0.8, 0.99)
    )  # HiFi-GAN's; the rate decays with the student's (_set_learning_rate)
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
    judge: Judge | None = None,
    stop: Callable[[TrainState], bool] | None = None,
) -> tuple[Generator, TrainState]:
    """Train the student decoder; return it and the history (with the MCD curve).

    The checkpoint goes in ``work_dir``; teacher pairs are cached in
    ``teacher_dir`` (default ``work_dir/teacher``), which methods may share:
    the cache key covers the voice, texts, draws and seed.
    """
    done = resume and finished(work_dir, settings)
    cache = teacher_dir or work_dir / "teacher"
    teacher = load_voice_teacher(voice, train_texts, eval_texts, cache, settings, pairs=not done)
    return fit(
        teacher,
        work_dir,
        settings,
        resume=resume,
        progress=progress,
        device=device,
        judge=judge,
        stop=stop,
    )
