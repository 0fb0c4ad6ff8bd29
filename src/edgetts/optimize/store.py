"""Writing a variant into the model store: built in a staging folder, measured,
then moved into place with its manifest, so a failed build leaves nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..files import sha256_file, staged_folder
from ..split import SplitVoice
from ..sysinfo import package_versions
from ..variants import FORMAT, Variant, load_variant, variant_folder, write_manifest
from ..voice import Voice
from .check import check_variant

__all__ = ["check_new_variant", "store_variant"]

_VERSIONED = ("edgetts", "onnx", "onnxruntime", "openvino", "nncf", "numpy", "torch")


def check_new_variant(voice: Voice, name: str, replace: bool) -> Path:
    """The folder for a new variant ``name``; an existing one needs ``replace``."""
    folder = variant_folder(voice, name)
    if folder.exists() and not replace:
        raise FileExistsError(
            f"variant {name!r} of {voice.name} exists ({folder}); "
            "pass replace=True (--force) to rebuild it"
        )
    return folder


def store_variant(
    voice: Voice,
    name: str,
    split: SplitVoice,
    build: Callable[[Path], dict[str, str]],
    description: Mapping[str, Any],
    *,
    replace: bool = False,
    check_backend: str = "onnxruntime",
    check_sentences: Sequence[str] = (),
) -> Variant:
    """Run ``build(folder)`` (it writes the graphs and returns graph -> file name) and
    store the result as variant ``name`` with a manifest of ``description`` and more."""
    folder = check_new_variant(voice, name, replace)
    with staged_folder(folder, replace=replace) as staging:
        files = build(staging)
        size = sum(p.stat().st_size for p in staging.iterdir())
        source_bytes = voice.model_path.stat().st_size
        manifest: dict[str, Any] = {
            "voice": voice.name,
            "variant": name,
            **description,
            "source": {
                "file": voice.model_path.name,
                "sha256": sha256_file(voice.model_path),
                "bytes": source_bytes,
            },
            "files": files,
            "cut": {c: getattr(split, c) for c in ("z_p", "mask", "z", "durations")},
            "size_bytes": size,
            "size_ratio": size / source_bytes,
            "versions": {k: v for k, v in package_versions(_VERSIONED).items() if v},
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        if check_sentences:
            built = Variant(name, staging, {**manifest, "format": FORMAT})
            manifest["measured"] = check_variant(voice, built.split, check_backend, check_sentences)
        write_manifest(staging, manifest)
    return load_variant(voice, name)
