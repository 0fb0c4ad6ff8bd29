"""Quantisation-aware training of the decoder against the fp32 voice.

No dataset: the fp32 voice speaks a text list (several noise draws per
sentence), and its latents ``z`` and waveforms are the training pairs, cached
on disk. The student is the same decoder with fake-quantised convolutions
(:mod:`edgetts.train.quant`), trained on random windows of ``z`` (with the
streaming decoder's context on both sides) to reproduce the teacher's
samples under a multi-resolution STFT + mel loss. Checkpoints are written
atomically every ``checkpoint_every`` steps; ``resume`` continues from the
last one with the same data order.
"""

from __future__ import annotations

import copy
import hashlib
import io
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
from .model import VitsVoice
from .quant import QuantConv, calibrate, quantize_decoder

__all__ = ["QatSettings", "QatState", "teacher_pairs", "train_qat"]

_TEACHER_FORMAT = 1
Pair = tuple[np.ndarray, np.ndarray]  # z (channels, frames), waveform (frames * hop)


@dataclass(frozen=True)
class QatSettings:
    steps: int = 1000
    batch: int = 4
    segment_frames: int = 32
    learning_rate: float = 5e-5
    draws: int = 3  # noise draws of each training sentence
    checkpoint_every: int = 50
    eval_sentences: int = 4
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("steps", "batch", "segment_frames", "draws", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")


@dataclass
class QatState:
    step: int = 0
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
    pairs: Sequence[Pair], settings: QatSettings, hop: int, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows of z (with context) and the teacher's samples for their middles."""
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


def train_qat(
    voice: Voice,
    train_texts: Sequence[str],
    eval_texts: Sequence[str],
    work_dir: Path,
    settings: QatSettings,
    *,
    resume: bool = False,
    progress: Callable[[QatState], None] | None = None,
) -> tuple[dict[str, QuantConv], QatState]:
    """Train the fake-quantised decoder; return its quantised layers and the history."""
    torch.manual_seed(settings.seed)
    model = VitsVoice.from_onnx(voice.model_path)
    cache = work_dir / "teacher"
    pairs = teacher_pairs(
        model, voice, train_texts, cache, draws=settings.draws, seed=settings.seed
    )
    held_out = teacher_pairs(
        model, voice, eval_texts[: settings.eval_sentences], cache, draws=1, seed=settings.seed + 1
    )
    hop = len(pairs[0][1]) // pairs[0][0].shape[1]
    student = copy.deepcopy(model.dec)
    quants = quantize_decoder(student)
    calibrate(student, quants, [torch.from_numpy(z)[None] for z, _ in pairs[:16]])
    optimizer = torch.optim.Adam(student.parameters(), lr=settings.learning_rate)
    loss_fn = SpectralLoss(voice.config.sample_rate)
    checkpoint = work_dir / "qat.pt"
    state = QatState()
    if resume and checkpoint.is_file():
        saved = torch.load(checkpoint, weights_only=False)
        fixed = {k: v for k, v in asdict(settings).items() if k != "steps"}
        if {k: v for k, v in saved["settings"].items() if k != "steps"} != fixed:
            raise ValueError(
                f"checkpoint {checkpoint} was made with other settings ({saved['settings']}); "
                "resume with the same ones, or start again without resume"
            )
        student.load_state_dict(saved["student"])
        optimizer.load_state_dict(saved["optimizer"])
        state = QatState(**saved["state"])
    if state.step == 0:
        state.curve.append((0, _mcd(student, held_out, voice.config.sample_rate)))
    student.train()
    while state.step < settings.steps:
        started = time.perf_counter()
        rng = np.random.default_rng([settings.seed, state.step])  # same batches after a resume
        latents, targets = _batch(pairs, settings, hop, rng)
        size = settings.segment_frames * hop
        out = student(latents).reshape(len(latents), -1)
        ctx = DECODER_CONTEXT * hop
        loss = loss_fn(out[:, ctx : ctx + size], targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        state.step += 1
        state.losses.append(loss.item())
        state.seconds += time.perf_counter() - started
        if state.step % settings.checkpoint_every == 0 or state.step == settings.steps:
            state.curve.append((state.step, _mcd(student, held_out, voice.config.sample_rate)))
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
    return quants, state
