"""Checkpoints of a student's training: written atomically, stripped for the trip
back from another machine, and checked against the settings a run resumes with."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from ..files import write_atomic
from .settings import TrainSettings

__all__ = [
    "CHECKPOINT",
    "finished",
    "load_checkpoint",
    "saved_settings",
    "strip_checkpoint",
    "write_torch",
]

CHECKPOINT = "student.pt"  # in a run's work folder


def write_torch(path: Path, payload: dict[str, Any]) -> None:
    """``torch.save`` into ``path``, atomically."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_atomic(path, buffer.getvalue())


#: Settings that may change between a run and its resumption (``istft_stages``
#: only from 0: the trained stages that remain get the new head; ``critic_width``
#: only while there is no critic).
_RESUMABLE = (
    "steps",
    "checkpoint_every",
    "batch",
    "learning_rate",
    "adversarial",
    "mel_weight",
    "critic_learning_rate",
    "lr_decay",
    "judge_every",
    "shortest_fft",
)


def _same_settings(saved: dict[str, Any], settings: TrainSettings) -> bool:
    """Everything but ``_RESUMABLE`` must match."""
    resumable = {k: getattr(settings, k) for k in _RESUMABLE}
    before = TrainSettings.saved(saved)
    if not before.istft_stages:
        resumable["istft_stages"] = settings.istft_stages
    if not before.adversarial:  # no critic yet: the first one may have any width
        resumable["critic_width"] = settings.critic_width
    return replace(before, **resumable) == settings


def load_checkpoint(path: Path, settings: TrainSettings) -> dict[str, Any] | None:
    """The checkpoint at ``path`` (``None`` where there is none), if ``settings`` may resume it."""
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
    saved = load_checkpoint(work_dir / CHECKPOINT, settings)
    return saved is not None and saved["state"]["step"] >= settings.steps


def saved_settings(path: Path) -> tuple[TrainSettings, int]:
    """The settings the checkpoint at ``path`` was trained with, and the steps it has done."""
    saved = torch.load(path, map_location="cpu", weights_only=False)
    return TrainSettings.saved(saved["settings"]), saved["state"]["step"]


def strip_checkpoint(source: Path, target: Path) -> None:
    """Copy a checkpoint without its optimizer states (a third of its size, or less)."""
    saved = torch.load(source, map_location="cpu", weights_only=False)
    saved.pop("optimizer", None)
    saved.pop("critic_optimizer", None)
    write_torch(target, saved)
