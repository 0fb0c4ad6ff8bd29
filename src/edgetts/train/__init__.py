"""Training side of edgetts (extra ``train``: ``torch==2.13.0``, the CPU build).

A PyTorch copy of the voice, loaded from its ONNX file, that can be fine-tuned:
the base of quantisation-aware training, pruning and distillation. Nothing in
the runtime imports this package.
"""

from __future__ import annotations

from .model import VitsVoice
from .onnx_import import read_onnx_voice

__all__ = ["VitsVoice", "read_onnx_voice"]
