"""The model store: optimised variants of a voice.

A variant is the voice split into its prior, flow and decoder graphs (see
:mod:`edgetts.split`), each possibly quantised, in ``<store>/VOICE/NAME/``
with a ``manifest.json`` that records how it was made: the source voice's
SHA-256, the method and its settings, the calibration set's hash, the toolkit
versions, the size, and the figures measured right after it was built. The
store is ``$EDGETTS_HOME/models`` (default ``~/.cache/edgetts/models``).

The voice's own model is always the variant ``"fp32"``. A variant whose
source no longer matches the voice (the voice file changed) is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import VariantError, VariantMismatchError, VariantNotFoundError
from .files import sha256_file, store_dir, write_atomic
from .split import SplitVoice
from .voice import Voice

__all__ = [
    "REFERENCE_VARIANT",
    "Variant",
    "check_variant_name",
    "load_variant",
    "stored_variants",
    "variant_folder",
    "write_manifest",
]

REFERENCE_VARIANT = "fp32"
MANIFEST = "manifest.json"
FORMAT = 1
#: Backends a variant may be built for; "any" runs on every backend.
TARGETS = ("any", "onnxruntime", "openvino")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_GRAPHS = ("prior", "flow", "decoder")
_CUTS = ("z_p", "mask", "z", "durations")


def check_variant_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"variant must be a str, got {type(name).__name__}")
    if not _NAME.fullmatch(name) or name == REFERENCE_VARIANT:
        raise ValueError(
            f"invalid variant name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit, and not {REFERENCE_VARIANT!r}"
        )
    return name


def variant_folder(voice: Voice, name: str) -> Path:
    return store_dir() / voice.name / check_variant_name(name)


@dataclass(frozen=True)
class Variant:
    """One stored variant: its folder and its manifest."""

    name: str
    folder: Path
    manifest: Mapping[str, Any]

    @property
    def backend(self) -> str:
        """The backend it was built for, or ``"any"``."""
        return str(self.manifest["backend"])

    def runs_on(self, backend: str) -> bool:
        return self.backend in ("any", backend)

    @property
    def size_bytes(self) -> int:
        return int(self.manifest["size_bytes"])

    @cached_property
    def split(self) -> SplitVoice:
        files, cut = self.manifest["files"], self.manifest["cut"]
        graphs = {g: self.folder / files[g] for g in _GRAPHS}
        return SplitVoice(**graphs, **{c: cut[c] for c in _CUTS})


def _read(folder: Path) -> Variant:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise VariantError(
                f"variant {folder} has manifest format {manifest.get('format')!r}; "
                f"this edgetts reads format {FORMAT}: rebuild it"
            )
        variant = Variant(folder.name, folder, manifest)
        missing = [str(p) for p in variant.split.paths() if not p.is_file()]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VariantError(f"variant {folder} has an unreadable manifest {path}: {exc}") from exc
    if missing or variant.backend not in TARGETS:
        raise VariantError(
            f"variant {folder} is incomplete or corrupt: missing files {missing}, "
            f"backend {variant.backend!r}"
        )
    return variant


def stored_variants(voice: Voice) -> dict[str, Variant]:
    """The voice's variants in the store, by name (unreadable ones are skipped)."""
    folder = store_dir() / voice.name
    found: dict[str, Variant] = {}
    if folder.is_dir():
        for sub in sorted(folder.iterdir()):
            if sub.is_dir() and (sub / MANIFEST).is_file() and _NAME.fullmatch(sub.name):
                try:
                    found[sub.name] = _read(sub)
                except VariantError:
                    continue
    return found


def load_variant(voice: Voice, name: str) -> Variant:
    """The stored variant ``name`` of ``voice``, checked against the voice's file."""
    folder = variant_folder(voice, name)
    if not (folder / MANIFEST).is_file():
        raise VariantNotFoundError(
            f"voice {voice.name} has no variant {name!r} in {folder.parent}; "
            f"variants: {[REFERENCE_VARIANT, *stored_variants(voice)]} "
            f"(build one with `edgetts optimize ptq`)"
        )
    variant = _read(folder)
    source = variant.manifest["source"]["sha256"]
    actual = sha256_file(voice.model_path)
    if source != actual:
        raise VariantMismatchError(
            f"variant {name!r} was built from a different {voice.name} model "
            f"(sha256 {source[:12]}…, but {voice.model_path} is {actual[:12]}…): rebuild it"
        )
    return variant


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    data = {"format": FORMAT, **manifest}
    write_atomic(folder / MANIFEST, (json.dumps(data, indent=2) + "\n").encode())
