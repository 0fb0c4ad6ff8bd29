"""The model store: optimised variants of a voice, each a Piper voice folder.

A variant called NAME of voice VOICE lives at ``<store>/VOICE/NAME/VOICE.onnx``
with the voice's ``.onnx.json`` beside it, so it loads like any voice. The
store is ``$EDGETTS_MODEL_STORE`` or ``~/.cache/edgetts/models``. The voice's
own model is always the variant ``"fp32"``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .voice import Voice

__all__ = ["REFERENCE_VARIANT", "store_dir", "voice_variants"]

REFERENCE_VARIANT = "fp32"
STORE_ENV = "EDGETTS_MODEL_STORE"


def store_dir() -> Path:
    configured = os.environ.get(STORE_ENV)
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "edgetts" / "models"


def voice_variants(voice: Voice) -> dict[str, Path]:
    """Variant name -> model path, the reference ``"fp32"`` first."""
    found = {REFERENCE_VARIANT: voice.model_path}
    folder = store_dir() / voice.name
    if folder.is_dir():
        for variant in sorted(p for p in folder.iterdir() if p.is_dir()):
            model = variant / f"{voice.name}.onnx"
            if model.is_file() and model.with_name(model.name + ".json").is_file():
                found.setdefault(variant.name, model)
    return found
