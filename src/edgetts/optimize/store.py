"""Writing a variant into the model store: built in a staging folder, measured,
then moved into place with its manifest, so a failed build leaves nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..backends import available_backends
from ..eval.sysinfo import package_versions
from ..files import sha256_file
from ..split import SplitVoice
from ..variants import Variant, check_new_variant, write_variant
from ..voice import Voice
from .check import check_variant

__all__ = ["check_new_variant", "store_variant"]

_VERSIONED = ("edgetts", "onnx", "onnxruntime", "openvino", "nncf", "numpy", "torch")


def store_variant(
    voice: Voice,
    name: str,
    split: SplitVoice,
    build: Callable[[Path], dict[str, str]],
    description: Mapping[str, Any],
    *,
    replace: bool = False,
    check_backend: str | None = None,
    check_sentences: Sequence[str] = (),
) -> Variant:
    """Run ``build(folder)`` (it writes the graphs and returns graph -> file name) and
    store the result as variant ``name`` with a manifest of ``description`` and more.

    ``check_backend`` measures it (default: OpenVINO where installed, else ONNX Runtime).
    """
    backend = check_backend or ("openvino" if "openvino" in available_backends() else "onnxruntime")
    check_new_variant(voice, name, replace)
    manifest: dict[str, Any] = {
        **description,
        "source": {
            "file": voice.model_path.name,
            "sha256": sha256_file(voice.model_path),
            "bytes": voice.model_path.stat().st_size,
        },
        "cut": {c: getattr(split, c) for c in ("z_p", "mask", "z", "durations")},
        "versions": {k: v for k, v in package_versions(_VERSIONED).items() if v},
    }

    def measure(built: Variant) -> dict[str, Any]:
        return check_variant(voice, built.split, backend, check_sentences)

    return write_variant(
        voice,
        name,
        build,
        manifest,
        replace=replace,
        measure=measure if check_sentences else None,
    )
