"""The model store: optimised variants of a voice.

A variant is the voice split into its prior, flow and decoder graphs (see
:mod:`edgetts.split`), each possibly quantised, in ``<store>/VOICE/NAME/``
with a ``manifest.json`` that records how it was made: the source voice's
SHA-256, the method and its settings, the calibration set's hash, the toolkit
versions, the size, and the figures measured right after it was built. The
store is ``$EDGETTS_HOME/models`` (default ``~/.cache/edgetts/models``).

The voice's own model is always the variant ``"fp32"``. A variant whose
source no longer matches the voice (the voice file changed) is refused. The
store is not trusted blindly: a manifest is checked field by field, its files
must be plain names inside the variant's folder, and each file's SHA-256 is
checked against the manifest every time the variant is loaded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import VariantError, VariantMismatchError, VariantNotFoundError
from .files import sha256_file, staged_folder, store_dir, write_atomic
from .split import GRAPHS, SplitVoice
from .voice import Voice

__all__ = [
    "REFERENCE_VARIANT",
    "Variant",
    "check_new_variant",
    "check_variant_name",
    "corrupt_variants",
    "load_variant",
    "stored_variants",
    "variant_folder",
    "write_variant",
]

REFERENCE_VARIANT = "fp32"
MANIFEST = "manifest.json"
FORMAT = 2  # 2: per-file SHA-256
#: Backends a variant may be built for; "any" runs on every backend.
TARGETS = ("any", "onnxruntime", "openvino")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
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


def check_new_variant(voice: Voice, name: str, replace: bool) -> Path:
    """The folder for a new variant ``name``; an existing one needs ``replace``."""
    folder = variant_folder(voice, name)
    if folder.exists() and not replace:
        raise FileExistsError(
            f"variant {name!r} of {voice.name} exists ({folder}); "
            "pass replace=True (--force) to rebuild it"
        )
    return folder


@dataclass(frozen=True)
class Variant:
    """One stored variant: its folder and its (checked) manifest."""

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

    @property
    def bf16_graphs(self) -> tuple[str, ...]:
        """Graphs measured to keep the voice in bf16 (see :mod:`edgetts.hardware`)."""
        return tuple(self.manifest.get("bf16_graphs", ()))

    @cached_property
    def split(self) -> SplitVoice:
        files, cut = self.manifest["files"], self.manifest["cut"]
        graphs = {g: self.folder / files[g] for g in GRAPHS}
        return SplitVoice(**graphs, **{c: cut[c] for c in _CUTS})


def _field(manifest: Mapping[str, Any], key: str, kind: type, keys: tuple[str, ...]) -> Any:
    value: Any = manifest.get(key)
    typed = isinstance(value, kind)  # a bool, so that value stays Any for mypy
    if not typed or not all(isinstance(value.get(k), str) for k in keys):
        wanted = f"a {kind.__name__}" + (f" with str entries {list(keys)}" if keys else "")
        raise ValueError(f"field {key!r} is {value!r}, expected {wanted}")
    return value


def _check_manifest(manifest: object) -> Mapping[str, Any]:
    """``manifest`` if it has every field a variant needs, of the right type."""
    if not isinstance(manifest, dict):
        raise ValueError(f"it is a {type(manifest).__name__}, not an object")
    if manifest.get("format") != FORMAT:
        raise ValueError(
            f"format {manifest.get('format')!r}; this edgetts reads {FORMAT}: rebuild it"
        )
    if manifest.get("backend") not in TARGETS:
        raise ValueError(f"backend {manifest.get('backend')!r}, expected one of {list(TARGETS)}")
    _field(manifest, "source", dict, ("sha256",))
    _field(manifest, "cut", dict, _CUTS)
    files = _field(manifest, "files", dict, GRAPHS)
    _field(manifest, "file_sha256", dict, GRAPHS)
    _field(manifest, "size_bytes", int, ())
    for graph in GRAPHS:  # plain names: a manifest cannot point outside its folder
        if not _FILE.fullmatch(files[graph]):
            raise ValueError(f"file {files[graph]!r} of {graph} is not a plain file name")
    bf16 = manifest.get("bf16_graphs", [])
    if not isinstance(bf16, list) or not set(bf16) <= set(GRAPHS):
        raise ValueError(f"bf16_graphs {bf16!r}, expected a list of {list(GRAPHS)}")
    return manifest


def _read(folder: Path) -> Variant:
    path = folder / MANIFEST
    try:
        manifest = _check_manifest(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise VariantError(f"variant {folder} has an unusable manifest {path}: {exc}") from exc
    variant = Variant(folder.name, folder, manifest)
    for graph, file in zip(GRAPHS, variant.split.paths(), strict=True):
        if not file.is_file():
            raise VariantError(f"variant {folder} is incomplete: {file.name} is missing")
        if sha256_file(file) != manifest["file_sha256"][graph]:
            raise VariantError(
                f"variant {folder} is corrupt: {file.name} does not match its sha256 "
                f"in {MANIFEST} (rebuild it, or import its pack again)"
            )
    return variant


def _folders(voice: Voice) -> list[Path]:
    folder = store_dir() / voice.name
    if not folder.is_dir():
        return []
    return [
        sub
        for sub in sorted(folder.iterdir())
        if sub.is_dir() and (sub / MANIFEST).is_file() and _NAME.fullmatch(sub.name)
    ]


def stored_variants(voice: Voice) -> dict[str, Variant]:
    """The voice's usable variants in the store, by name (see :func:`corrupt_variants`)."""
    found: dict[str, Variant] = {}
    for sub in _folders(voice):
        try:
            found[sub.name] = _read(sub)
        except VariantError:
            continue
    return found


def corrupt_variants(voice: Voice) -> dict[str, str]:
    """The voice's unusable variants in the store, with the reason for each."""
    found: dict[str, str] = {}
    for sub in _folders(voice):
        try:
            _read(sub)
        except VariantError as exc:
            found[sub.name] = str(exc)
    return found


def load_variant(voice: Voice, name: str) -> Variant:
    """The stored variant ``name`` of ``voice``, checked against the voice's file."""
    folder = variant_folder(voice, name)
    if not (folder / MANIFEST).is_file():
        raise VariantNotFoundError(
            f"voice {voice.name} has no variant {name!r} in {folder.parent}; "
            f"variants: {[REFERENCE_VARIANT, *stored_variants(voice)]} "
            f"(build one with `edgetts optimize`, or `edgetts pack import FILE`)"
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


def write_variant(
    voice: Voice,
    name: str,
    build: Callable[[Path], Mapping[str, str]],
    manifest: Mapping[str, Any],
    *,
    replace: bool = False,
    measure: Callable[[Variant], Mapping[str, Any]] | None = None,
) -> Variant:
    """Store variant ``name``: ``build(folder)`` writes the graphs into a staging
    folder and returns graph -> file name; the manifest gets the files' names,
    SHA-256s and sizes (and ``measure``'s figures), and the folder moves into
    place whole. An existing variant is replaced only with ``replace``."""
    folder = check_new_variant(voice, name, replace)
    with staged_folder(folder, replace=replace) as staging:
        files = dict(build(staging))
        size = sum(p.stat().st_size for p in staging.iterdir())
        full: dict[str, Any] = {
            "format": FORMAT,
            "voice": voice.name,
            "variant": name,
            **manifest,
            "files": files,
            "file_sha256": {g: sha256_file(staging / files[g]) for g in GRAPHS},
            "size_bytes": size,
            "size_ratio": size / voice.model_path.stat().st_size,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        if measure is not None:
            full["measured"] = dict(measure(Variant(name, staging, _check_manifest(full))))
        write_atomic(staging / MANIFEST, (json.dumps(full, indent=2) + "\n").encode())
    return load_variant(voice, name)
