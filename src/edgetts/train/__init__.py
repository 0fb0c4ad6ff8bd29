"""Training side of edgetts (extra ``train``: ``torch==2.13.0``, the CPU build).

A PyTorch copy of the voice, loaded from its ONNX file, that can be fine-tuned:
the base of quantisation-aware training, pruning and distillation; its command
line is ``python -m edgetts.train`` (:mod:`edgetts.train.cli`). Nothing in the
runtime imports this package. Torch is imported on first use of
:class:`VitsVoice`, so the settings (:mod:`edgetts.train.settings`) and the
command line's help load without it.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from ..errors import ExtraNotInstalledError
from .onnx_import import read_onnx_voice

if TYPE_CHECKING:
    from .model import VitsVoice

__all__ = ["VitsVoice", "read_onnx_voice", "require_torch"]


def require_torch() -> None:
    """Raise :class:`~edgetts.errors.ExtraNotInstalledError` where torch is not installed."""
    if importlib.util.find_spec("torch") is None:
        raise ExtraNotInstalledError("training needs PyTorch: pip install 'edgetts[train]'")


def __getattr__(name: str) -> Any:
    if name == "VitsVoice":
        from .model import VitsVoice

        return VitsVoice
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
