"""The teacher: what training needs of the fp32 voice, made or packed.

No dataset: the fp32 voice speaks a text list (several noise draws per
sentence), and its latents ``z`` and waveforms are the training pairs, cached
on disk (:func:`teacher_pairs`). Where the voice cannot go with the training
(a GPU machine with a small upload), :func:`save_teacher` packs what training
needs -- the teacher's decoder and latents -- into one file, and
:func:`load_teacher` rebuilds the waveform targets from them where it runs.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..files import sha256_file, write_atomic
from ..voice import Voice
from .checkpoint import write_torch
from .flow import prior_samples
from .model import Generator, VitsVoice
from .settings import TrainSettings

__all__ = [
    "Pair",
    "Teacher",
    "decode",
    "load_teacher",
    "load_voice_teacher",
    "save_teacher",
    "teacher_pairs",
    "torch_device",
]

_TEACHER_FORMAT = 1
Pair = tuple[np.ndarray, np.ndarray]  # z (channels, frames), waveform (frames * hop)


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


def decode(decoder: torch.nn.Module, z: np.ndarray, device: torch.device) -> np.ndarray:
    """The waveform ``decoder`` makes of one sentence's latents ``z`` (channels, frames)."""
    with torch.no_grad():
        out: np.ndarray = decoder(torch.from_numpy(z)[None].to(device)).reshape(-1).cpu().numpy()
    return out


def torch_device(name: str) -> torch.device:
    """The torch device ``name``; ``ValueError`` for an unknown one or a GPU torch cannot see."""
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise ValueError(f"unknown torch device {name!r}: {error}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r}: torch {torch.__version__} sees no CUDA GPU here")
    return device


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
    write_torch(path, payload)


def load_teacher(path: Path, device: str = "cpu") -> Teacher:
    """A teacher packed by :func:`save_teacher`, its targets decoded in float32 on
    ``device`` (TF32 off: the targets are the fp32 voice's)."""
    saved = torch.load(path, map_location="cpu", weights_only=False)
    if saved.get("format") != _TEACHER_FORMAT:
        raise ValueError(f"{path} is not a teacher file of format {_TEACHER_FORMAT}")
    decoder = Generator(saved["specs"])
    decoder.load_state_dict(saved["decoder"])
    where = torch_device(device)
    decoder.to(where).eval()

    def pairs(latents: list[torch.Tensor]) -> list[Pair]:
        with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
            out = []
            for z16 in latents:
                z = z16.float().numpy()
                out.append((z, decode(decoder, z, where)))
        return out

    teacher = Teacher(
        decoder, pairs(saved["latents"]), pairs(saved["held_out"]), saved["sample_rate"]
    )
    decoder.cpu()
    return teacher
