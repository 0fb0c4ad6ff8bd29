"""Training a student decoder against the fp32 voice: QAT, pruning, distillation.

No dataset: the fp32 voice speaks a text list (several noise draws per
sentence), and its latents ``z`` and waveforms are the training pairs, cached
on disk. The student starts as the teacher's decoder, then is either
fake-quantised (:mod:`edgetts.train.quant`; ``quantize``) or pruned to a
schedule of widths (:mod:`edgetts.train.prune`; ``widths``, one training
phase each, the first pruning at step 0). It is trained on random windows of
``z`` (with the streaming decoder's context on both sides) to reproduce the
teacher's samples under a multi-resolution STFT + mel loss. Checkpoints are
written atomically every ``checkpoint_every`` steps; ``resume`` continues
from the last one with the same data order.
"""

from __future__ import annotations

import copy
import hashlib
import io
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import SynthesisConfig
from ..eval.fidelity import fidelity
from ..files import sha256_file, write_atomic
from ..phonemize import phonemize
from ..streaming import DECODER_CONTEXT
from ..voice import Voice
from .losses import SpectralLoss
from .model import Generator, VitsVoice
from .prune import channel_importance, compose, decoder_widths, keep_top, prune_decoder
from .quant import calibrate, quantize_decoder

__all__ = ["TrainSettings", "TrainState", "teacher_pairs", "train_student"]

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

    def __post_init__(self) -> None:
        if self.quantize and self.widths:
            raise ValueError("prune first, then quantise the pruned variant: not both at once")
        if any(not 0 < w <= 1 for w in self.widths):
            raise ValueError(f"widths must be fractions in (0, 1], got {self.widths!r}")
        for name in ("steps", "batch", "segment_frames", "draws", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")


@dataclass
class TrainState:
    step: int = 0
    phase: int = 0  # pruning phases applied
    keep: list[list[int]] = field(default_factory=list)  # teacher channels kept per stage
    seconds: float = 0.0
    curve: list[tuple[int, float]] = field(default_factory=list)  # (step, MCD dB)
    losses: list[float] = field(default_factory=list)


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
    scales = SynthesisConfig().scales(voice.config)
    generator = torch.Generator().manual_seed(seed)
    pairs = []
    with torch.no_grad():
        for text in texts:
            for sentence in phonemize(text, voice.config.espeak_voice):
                ids = torch.from_numpy(voice.id_mapper(sentence.phonemes).ids[np.newaxis, :])
                for _ in range(draws):
                    z_p, mask, _ = model.prior(ids, scales, generator)
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


def _mcd(decoder: torch.nn.Module, pairs: Sequence[Pair], rate: int) -> float:
    with torch.no_grad():
        scores = [
            fidelity(decoder(torch.from_numpy(z)[None]).reshape(-1).numpy(), wav, rate).mcd_db
            for z, wav in pairs
        ]
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


def _train_step(
    student: Generator,
    optimizer: torch.optim.Optimizer,
    loss_fn: SpectralLoss,
    batch: tuple[torch.Tensor, torch.Tensor],
    *,
    hop: int,
    state: TrainState,
) -> None:
    started = time.perf_counter()
    student.train()
    latents, targets = batch
    out = student(latents).reshape(len(latents), -1)
    start = DECODER_CONTEXT * hop  # the context on each side is decoded, not scored
    loss = loss_fn(out[:, start : start + targets.shape[1]], targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    state.step += 1
    state.losses.append(loss.item())
    state.seconds += time.perf_counter() - started


def _optimizer(student: Generator, settings: TrainSettings) -> torch.optim.Optimizer:
    scales = [p for n, p in student.named_parameters() if n.endswith("log_scale")]
    weights = [p for n, p in student.named_parameters() if not n.endswith("log_scale")]
    groups = [{"params": weights, "lr": settings.learning_rate}]
    if scales:
        groups.append({"params": scales, "lr": settings.scale_learning_rate})
    return torch.optim.Adam(groups)


def _set_learning_rate(
    optimizer: torch.optim.Optimizer, settings: TrainSettings, step: int
) -> None:
    """Cosine decay to zero over ``settings.steps`` (a longer resumed run stretches it)."""
    factor = 0.5 * (1 + math.cos(math.pi * min(step, settings.steps) / settings.steps))
    bases = (settings.learning_rate, settings.scale_learning_rate)
    for group, base in zip(optimizer.param_groups, bases, strict=False):
        group["lr"] = base * factor


def _phase_starts(settings: TrainSettings) -> list[int]:
    phases = len(settings.widths)
    return [settings.steps * k // phases for k in range(phases)]


def _same_settings(saved: dict[str, Any], settings: TrainSettings) -> bool:
    """Everything but the step count must match (fields added later take their default)."""
    current = asdict(settings)
    current["widths"] = list(current["widths"])
    saved = {**saved, "widths": list(saved.get("widths", []))}
    return all(saved.get(k, v) == v for k, v in current.items() if k != "steps")


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
) -> tuple[Generator, TrainState]:
    """Train the student decoder; return it and the history (with the MCD curve).

    The checkpoint goes in ``work_dir``; teacher pairs are cached in
    ``teacher_dir`` (default ``work_dir/teacher``), which methods may share:
    the cache key covers the voice, texts, draws and seed.
    """
    torch.manual_seed(settings.seed)
    model = VitsVoice.from_onnx(voice.model_path)
    cache = teacher_dir or work_dir / "teacher"
    pairs = teacher_pairs(
        model, voice, train_texts, cache, draws=settings.draws, seed=settings.seed
    )
    held_out = teacher_pairs(
        model, voice, eval_texts[: settings.eval_sentences], cache, draws=1, seed=settings.seed + 1
    )
    hop = len(pairs[0][1]) // pairs[0][0].shape[1]
    rate = voice.config.sample_rate
    checkpoint = work_dir / "student.pt"
    state = TrainState()
    saved = torch.load(checkpoint, weights_only=False) if resume and checkpoint.is_file() else None
    if saved is not None:
        if not _same_settings(saved["settings"], settings):
            raise ValueError(
                f"checkpoint {checkpoint} was made with other settings ({saved['settings']}); "
                "resume with the same ones, or start again without resume"
            )
        state = TrainState(**saved["state"])
    student: Generator = copy.deepcopy(model.dec)
    if state.keep:
        student = prune_decoder(model.dec, [torch.tensor(k) for k in state.keep])
    if settings.quantize:
        quants = quantize_decoder(student)
        calibrate(student, quants, [torch.from_numpy(z)[None] for z, _ in pairs[:16]])
    optimizer = _optimizer(student, settings)
    if saved is not None:
        student.load_state_dict(saved["student"])
        optimizer.load_state_dict(saved["optimizer"])
    loss_fn = SpectralLoss(rate)
    starts = _phase_starts(settings)
    while state.step < settings.steps:
        if state.phase < len(starts) and state.step >= starts[state.phase]:
            # Prune the trained student further; importance is measured on it.
            student = _prune_phase(student, model.dec, settings.widths[state.phase], state)
            optimizer = _optimizer(student, settings)
        if not state.curve:  # where training starts from
            student.eval()
            state.curve.append((0, _mcd(student, held_out, rate)))
        _set_learning_rate(optimizer, settings, state.step)
        _train_step(
            student, optimizer, loss_fn, _batch(pairs, settings, hop, state), hop=hop, state=state
        )
        if state.step % settings.checkpoint_every == 0 or state.step == settings.steps:
            student.eval()
            state.curve.append((state.step, _mcd(student, held_out, rate)))
            _save(
                checkpoint,
                {
                    "settings": asdict(settings),
                    "student": student.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "state": asdict(state),
                },
            )
        if progress:
            progress(state)
    student.eval()
    return student, state
