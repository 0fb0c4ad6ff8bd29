"""Training a student decoder against the fp32 voice: QAT, pruning, distillation.

No dataset: the fp32 voice speaks a text list (several noise draws per
sentence), and its latents ``z`` and waveforms are the training pairs, cached
on disk. The student starts as the teacher's decoder, then is either
fake-quantised (:mod:`edgetts.train.quant`; ``quantize``) or pruned to a
schedule of widths (:mod:`edgetts.train.prune`; ``widths``, one training
phase each, the first pruning at step 0). It is trained on random windows of
``z`` (with the streaming decoder's context on both sides) to reproduce the
teacher's samples under a multi-resolution STFT + mel loss (``shortest_fft``:
its shortest STFT), optionally with a critic's adversarial and feature-matching
terms (:mod:`edgetts.train.adversarial`; ``adversarial``, their weight). A
resumed run may change either to fine-tune a student trained without them
(with a learning-rate schedule of its own). Checkpoints are
written atomically every ``checkpoint_every`` steps; ``resume`` continues
from the last one with the same data order.

Training runs on any torch device (``device="cuda"``). Where the voice cannot
go with it (a rented GPU with a small upload), :func:`save_teacher` packs what
training needs -- the teacher's decoder and latents -- into one file, and
:func:`load_teacher` rebuilds the waveform targets from them where it runs.
"""

from __future__ import annotations

import copy
import hashlib
import io
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..eval.fidelity import fidelity
from ..files import sha256_file, write_atomic
from ..streaming import DECODER_CONTEXT
from ..sysinfo import cpu_model
from ..voice import Voice
from .adversarial import Critic
from .flow import prior_samples
from .istft import attach_istft_head
from .losses import SpectralLoss, check_shortest_fft
from .model import Generator, VitsVoice
from .prune import channel_importance, compose, decoder_widths, keep_top, prune_decoder
from .quant import calibrate, quantize_decoder

__all__ = [
    "Teacher",
    "TrainSettings",
    "TrainState",
    "finished",
    "fit",
    "load_teacher",
    "load_voice_teacher",
    "save_teacher",
    "strip_checkpoint",
    "teacher_pairs",
    "train_student",
]

_TEACHER_FORMAT = 1
Pair = tuple[np.ndarray, np.ndarray]  # z (channels, frames), waveform (frames * hop)


@dataclass(frozen=True)
class TrainSettings:
    steps: int = 1000
    batch: int = 4
    segment_frames: int = 32
    learning_rate: float = 1e-4
    scale_learning_rate: float = 1e-3  # the activation scales of QAT
    draws: int = 3  # noise draws of each training sentence
    checkpoint_every: int = 50
    eval_sentences: int = 4
    seed: int = 0
    quantize: bool = False  # fake-quantise the student (QAT)
    widths: tuple[float, ...] = ()  # pruning schedule: decoder width of each phase
    adversarial: float = 0.0  # weight of the critic's terms (0: spectral losses only)
    istft_stages: int = 0  # last upsampling stages an inverse-STFT head replaces (0: none)
    shortest_fft: int = 512  # the spectral loss's STFT sizes: this one to 2048, in octaves

    def __post_init__(self) -> None:
        if self.quantize and (self.widths or self.istft_stages):
            raise ValueError(
                "prune or change the head first, then quantise that variant: not both at once"
            )
        if any(not 0 < w <= 1 for w in self.widths):
            raise ValueError(f"widths must be fractions in (0, 1], got {self.widths!r}")
        adversarial = self.adversarial
        if isinstance(adversarial, bool) or not isinstance(adversarial, (int, float)):
            raise TypeError(f"adversarial must be a number, got {adversarial!r}")
        if not 0 <= adversarial <= 100:
            raise ValueError(f"adversarial must be in [0, 100], got {adversarial!r}")
        for name in ("steps", "batch", "segment_frames", "draws", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        check_shortest_fft(self.shortest_fft)
        stages = self.istft_stages
        if isinstance(stages, bool) or not isinstance(stages, int) or stages < 0:
            raise ValueError(f"istft_stages must be an int >= 0, got {stages!r}")

    @classmethod
    def saved(cls, fields: dict[str, Any]) -> TrainSettings:
        """Settings as a checkpoint stores them (fields added later take their default)."""
        return cls(**{**fields, "widths": tuple(fields.get("widths", ()))})


@dataclass
class TrainState:
    step: int = 0
    phase: int = 0  # pruning phases applied
    keep: list[list[int]] = field(default_factory=list)  # teacher channels kept per stage
    seconds: float = 0.0
    curve: list[tuple[int, float]] = field(default_factory=list)  # (step, MCD dB)
    losses: list[float] = field(default_factory=list)
    hardware: str = ""  # where the last steps ran
    schedule_start: int = 0  # the step the learning rate's cosine counts from


@dataclass
class Teacher:
    """What training needs of the fp32 voice: its decoder and (z, waveform) pairs."""

    decoder: Generator
    pairs: list[Pair]
    held_out: list[Pair]  # for the quality-vs-steps curve
    sample_rate: int


def teacher_pairs(
    model: VitsVoice, voice: Voice, texts: Sequence[str], cache: Path, *, draws: int, seed: int
) -> list[Pair]:
    """(z, waveform) of every sentence of ``texts``, ``draws`` noise draws each; cached."""
    key = hashlib.sha256(
        "\n".join(
            [sha256_file(voice.model_path), str(draws), str(seed), str(_TEACHER_FORMAT), *texts]
        ).encode()
    ).hexdigest()[:16]
    path = cache / f"teacher-{key}.npz"
    if path.is_file():
        with np.load(path) as data:
            return [(data[f"z{i}"], data[f"wav{i}"]) for i in range(len(data.files) // 2)]
    pairs = []
    with torch.no_grad():
        for z_p, mask in prior_samples(model, voice, texts, draws=draws, seed=seed):
            z = model.flow(z_p, mask)
            pairs.append((z[0].numpy(), model.dec(z).reshape(-1).numpy()))
    buffer = io.BytesIO()
    arrays = {}
    for i, (z, wav) in enumerate(pairs):
        arrays[f"z{i}"], arrays[f"wav{i}"] = z, wav
    np.savez(buffer, **arrays)
    cache.mkdir(parents=True, exist_ok=True)
    write_atomic(path, buffer.getvalue())
    return pairs


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


def _decode(decoder: torch.nn.Module, z: np.ndarray, device: torch.device) -> np.ndarray:
    with torch.no_grad():
        out: np.ndarray = decoder(torch.from_numpy(z)[None].to(device)).reshape(-1).cpu().numpy()
    return out


def _mcd(decoder: torch.nn.Module, pairs: Sequence[Pair], rate: int, device: torch.device) -> float:
    scores = [fidelity(_decode(decoder, z, device), wav, rate).mcd_db for z, wav in pairs]
    return float(np.mean(scores))


def _save(path: Path, payload: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_atomic(path, buffer.getvalue())


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


#: Settings that may change between a run and its resumption (``istft_stages``
#: only from 0: the trained stages that remain get the new head).
_RESUMABLE = (
    "steps",
    "checkpoint_every",
    "batch",
    "learning_rate",
    "adversarial",
    "shortest_fft",
)


def _same_settings(saved: dict[str, Any], settings: TrainSettings) -> bool:
    """Everything but ``_RESUMABLE`` must match."""
    resumable = {k: getattr(settings, k) for k in _RESUMABLE}
    before = TrainSettings.saved(saved)
    if not before.istft_stages:
        resumable["istft_stages"] = settings.istft_stages
    return replace(before, **resumable) == settings


def _load_checkpoint(path: Path, settings: TrainSettings) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    saved: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=False)
    if not _same_settings(saved["settings"], settings):
        raise ValueError(
            f"checkpoint {path} was made with other settings ({saved['settings']}); "
            "resume with the same ones, or start again without resume"
        )
    return saved


def finished(work_dir: Path, settings: TrainSettings) -> bool:
    """Whether ``work_dir`` holds a checkpoint of these settings with all steps done."""
    saved = _load_checkpoint(work_dir / "student.pt", settings)
    return saved is not None and saved["state"]["step"] >= settings.steps


def _torch_device(name: str) -> torch.device:
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise ValueError(f"unknown torch device {name!r}: {error}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r}: torch {torch.__version__} sees no CUDA GPU here")
    return device


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
    where = _torch_device(device)
    work_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = work_dir / "student.pt"
    saved = _load_checkpoint(checkpoint, settings) if resume else None
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
            _save(checkpoint, payload)
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


def strip_checkpoint(source: Path, target: Path) -> None:
    """Copy a checkpoint without its optimizer states (a third of its size, or less)."""
    saved = torch.load(source, map_location="cpu", weights_only=False)
    saved.pop("optimizer", None)
    saved.pop("critic_optimizer", None)
    _save(target, saved)


def load_voice_teacher(
    voice: Voice,
    train_texts: Sequence[str],
    eval_texts: Sequence[str],
    cache: Path,
    settings: TrainSettings,
    *,
    pairs: bool = True,
) -> Teacher:
    """The teacher of ``voice``; ``pairs=False`` skips the data (a finished checkpoint
    needs none)."""
    model = VitsVoice.from_onnx(voice.model_path)
    rate = voice.config.sample_rate
    if not pairs:
        return Teacher(model.dec, [], [], rate)
    train = teacher_pairs(
        model, voice, train_texts, cache, draws=settings.draws, seed=settings.seed
    )
    held_out = teacher_pairs(
        model, voice, eval_texts[: settings.eval_sentences], cache, draws=1, seed=settings.seed + 1
    )
    return Teacher(model.dec, train, held_out, rate)


def save_teacher(teacher: Teacher, path: Path) -> None:
    """Pack the teacher for training elsewhere: its decoder and latents in float16
    (the waveform targets are rebuilt from the rounded latents by :func:`load_teacher`)."""

    def half(pairs: list[Pair]) -> list[torch.Tensor]:  # tensors: stored raw, unpickled
        return [torch.from_numpy(z.astype(np.float16)) for z, _ in pairs]

    payload = {
        "format": _TEACHER_FORMAT,
        "decoder": teacher.decoder.state_dict(),
        "specs": teacher.decoder.specs,
        "latents": half(teacher.pairs),
        "held_out": half(teacher.held_out),
        "sample_rate": teacher.sample_rate,
    }
    _save(path, payload)


def load_teacher(path: Path, device: str = "cpu") -> Teacher:
    """A teacher packed by :func:`save_teacher`, its targets decoded in float32 on
    ``device`` (TF32 off: the targets are the fp32 voice's)."""
    saved = torch.load(path, map_location="cpu", weights_only=False)
    if saved.get("format") != _TEACHER_FORMAT:
        raise ValueError(f"{path} is not a teacher file of format {_TEACHER_FORMAT}")
    decoder = Generator(saved["specs"])
    decoder.load_state_dict(saved["decoder"])
    where = _torch_device(device)
    decoder.to(where).eval()

    def pairs(latents: list[torch.Tensor]) -> list[Pair]:
        with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
            out = []
            for z16 in latents:
                z = z16.float().numpy()
                out.append((z, _decode(decoder, z, where)))
        return out

    teacher = Teacher(
        decoder, pairs(saved["latents"]), pairs(saved["held_out"]), saved["sample_rate"]
    )
    decoder.cpu()
    return teacher


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
