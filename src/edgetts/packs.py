"""Variant packs: what training produced, in one file that rebuilds the variant.

A variant's graphs are mostly the voice's own tensors; only what training
changed (a narrowed flow, a distilled encoder, int8 weights) is new. A pack is
a zip holding ``pack.json`` and each graph as an ONNX *skeleton*: the graph
with its own tensors, and every tensor that equals one of the voice's (byte for
byte, in the voice's split graphs or its polyphase decoder, see
:mod:`edgetts.split` and :mod:`edgetts.polyphase`) left empty and named by
its SHA-256. Importing fills those in from the installed voice, so a pack is
small, needs no torch and no network, and is refused for another voice.

``pack.json`` names the source voice's SHA-256, the SHA-256 of every member
and of every tensor, and the variant's manifest. Import checks all of them
before anything reaches the store, builds in a staging folder and moves the
variant into place whole; a corrupt, truncated or mismatched pack leaves the
store as it was.

Packs for the default voice ship inside the package (``edgetts/packs/VOICE/``)
and are built into the store the first time their variant is asked for.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import VariantError, VariantMismatchError, VariantNotFoundError
from .files import commit, discard, open_temp_beside, sha256_file
from .split import GRAPHS
from .variants import (
    MANIFEST,
    REFERENCE_VARIANT,
    Variant,
    check_new_variant,
    check_variant_name,
    load_variant,
    variant_folder,
    write_variant,
)
from .voice import Voice

__all__ = [
    "PACK_SUFFIX",
    "PackError",
    "default_variant",
    "export_pack",
    "import_pack",
    "read_pack",
    "shipped_packs",
    "shipped_variant",
]

_LOGGER = logging.getLogger(__name__)

PACK_FORMAT = 1
PACK_SUFFIX = ".etpack"
_INDEX = "pack.json"
_SHIPPED = Path(__file__).parent / "packs"
MIN_SHARED_BYTES = 1024  # smaller tensors travel in the pack: a reference would cost more
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed member dates: the same variant gives the same pack
#: Manifest entries that describe one store's copy, not the variant.
_LOCAL = ("files", "file_sha256", "size_bytes", "size_ratio", "created", "pack")

Progress = Callable[[str], None]


class PackError(VariantError, ValueError):
    """A pack file is corrupt, truncated, of another format, or not a pack."""


def _tensor_key(tensor: Any) -> str:
    return _key(tensor)[0]


def _key(tensor: Any) -> tuple[str, int]:
    """A tensor's SHA-256 over its dtype, shape and values, and its size in bytes."""
    from onnx import numpy_helper

    array = numpy_helper.to_array(tensor)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest(), array.nbytes


def _voice_tensors(voice: Voice) -> dict[str, Any]:
    """The voice's own tensors by key (those worth sharing): its split graphs and its
    polyphase decoder."""
    import onnx

    from .polyphase import polyphase_model
    from .split import split_voice

    split = split_voice(voice.model_path)
    found: dict[str, Any] = {}
    for path in split.paths():
        model = onnx.load(str(path))
        if path == split.decoder:
            polyphase_model(model)  # its tensors join the ones it replaced
            model.graph.initializer.extend(onnx.load(str(path)).graph.initializer)
        for tensor in model.graph.initializer:
            key, size = _key(tensor)
            if size >= MIN_SHARED_BYTES:
                found.setdefault(key, tensor)
    return found


def _skeleton(path: Path, known: Mapping[str, Any]) -> tuple[bytes, dict[str, str], dict[str, str]]:
    """``path``'s graph with the voice's tensors emptied; those tensors' keys by name,
    and every tensor's key by name."""
    import onnx

    model = onnx.load(str(path))
    refs: dict[str, str] = {}
    keys: dict[str, str] = {}
    for tensor in model.graph.initializer:
        key = keys[tensor.name] = _tensor_key(tensor)
        if key in known:
            refs[tensor.name] = key
            empty = onnx.TensorProto(name=tensor.name, data_type=tensor.data_type)
            empty.dims.extend(tensor.dims)
            tensor.CopyFrom(empty)
    return model.SerializeToString(), refs, keys


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export_pack(
    voice: str | Voice | None,
    name: str,
    target: str | Path,
    *,
    default_for: tuple[str, ...] = (),
) -> Path:
    """Write the stored variant ``name`` of ``voice`` to the pack file ``target``.

    ``default_for`` lists the backends on which the variant, once shipped, is
    the voice's default (set it only from a bench run at the quality bar).
    """
    loaded = voice if isinstance(voice, Voice) else Voice.load(voice)
    variant = load_variant(loaded, name)
    known = _voice_tensors(loaded)
    members: dict[str, bytes] = {}
    graphs: dict[str, Any] = {}
    for graph, path in zip(GRAPHS, variant.split.paths(), strict=True):
        data, refs, keys = _skeleton(path, known)
        member = f"{graph}.onnx"
        members[member] = data
        graphs[graph] = {"member": member, "from_voice": refs, "tensors": keys}
    manifest = {k: v for k, v in variant.manifest.items() if k not in _LOCAL}
    index = {
        "format": PACK_FORMAT,
        "kind": "edgetts-variant-pack",
        "voice": loaded.name,
        "variant": name,
        "source": variant.manifest["source"],
        "default_for": sorted(default_for),
        "graphs": graphs,
        "members": {m: _sha(d) for m, d in members.items()},
        "manifest": manifest,
    }
    path = Path(target)
    file, tmp = open_temp_beside(path)
    try:
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            entries = {_INDEX: json.dumps(index, indent=1, sort_keys=True).encode(), **members}
            for member, data in entries.items():
                archive.writestr(zipfile.ZipInfo(member, _ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    except BaseException:
        discard(file, tmp)
        raise
    return commit(file, tmp, path)


def _fail(path: Path, why: str) -> PackError:
    return PackError(f"pack {path} cannot be used: {why}")


def _expect(index: Mapping[str, Any], key: str, kind: type, path: Path) -> Any:
    value = index.get(key)
    if not isinstance(value, kind):
        raise _fail(path, f"pack.json field {key!r} is {value!r}, expected a {kind.__name__}")
    return value


def read_pack(path: str | Path) -> dict[str, Any]:
    """The checked index of the pack at ``path`` (members are checked on import)."""
    path = Path(path)
    if not path.is_file():
        raise VariantNotFoundError(f"pack {path} does not exist")
    try:
        with zipfile.ZipFile(path) as archive:
            index = json.loads(archive.read(_INDEX))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise _fail(path, f"it is truncated or not an edgetts pack ({exc})") from exc
    if not isinstance(index, dict) or index.get("kind") != "edgetts-variant-pack":
        raise _fail(path, "its pack.json is not an edgetts variant pack index")
    if index.get("format") != PACK_FORMAT:
        raise _fail(path, f"pack format {index.get('format')!r}; this edgetts reads {PACK_FORMAT}")
    for key, kind in (
        ("voice", str),
        ("variant", str),
        ("source", dict),
        ("graphs", dict),
        ("members", dict),
        ("manifest", dict),
        ("default_for", list),
    ):
        _expect(index, key, kind, path)
    check_variant_name(index["variant"])
    if not isinstance(index["source"].get("sha256"), str):
        raise _fail(path, "pack.json names no source sha256")
    if sorted(index["graphs"]) != sorted(GRAPHS):
        raise _fail(path, f"graphs {sorted(index['graphs'])}, expected {sorted(GRAPHS)}")
    return index


def _members(archive: zipfile.ZipFile, index: Mapping[str, Any], path: Path) -> Iterator[bytes]:
    for graph in GRAPHS:
        member = index["graphs"][graph].get("member")
        expected = index["members"].get(member)
        try:
            data = archive.read(member)
        except (KeyError, zipfile.BadZipFile, OSError, EOFError, TypeError) as exc:
            raise _fail(path, f"member {member!r} is missing or damaged ({exc})") from exc
        if _sha(data) != expected:
            raise _fail(path, f"member {member!r} does not match its sha256 in pack.json")
        yield data


def _fill(data: bytes, entry: Mapping[str, Any], known: Mapping[str, Any], path: Path) -> bytes:
    """The graph file: the skeleton with the voice's tensors put back, every tensor checked."""
    import onnx
    from google.protobuf.message import DecodeError

    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except DecodeError as exc:
        raise _fail(path, f"member {entry.get('member')!r} is not an ONNX graph") from exc
    refs, keys = entry.get("from_voice", {}), entry.get("tensors", {})
    for tensor in model.graph.initializer:
        ref = refs.get(tensor.name)
        if ref is not None:
            if ref not in known:
                raise VariantMismatchError(
                    f"pack {path} needs a tensor {tensor.name!r} that this voice does not have"
                )
            name = tensor.name
            tensor.CopyFrom(known[ref])
            tensor.name = name
        if _tensor_key(tensor) != keys.get(tensor.name):
            raise _fail(path, f"tensor {tensor.name!r} does not match its sha256 in pack.json")
    return bytes(model.SerializeToString())


def import_pack(
    path: str | Path,
    voice: str | Voice | None = None,
    *,
    replace: bool = False,
    progress: Progress | None = None,
) -> Variant:
    """Build the pack at ``path`` into the model store as a variant of ``voice``
    (default: the voice the pack names) and return it."""
    path = Path(path)
    say = progress or (lambda message: _LOGGER.info("%s", message))
    index = read_pack(path)
    loaded = voice if isinstance(voice, Voice) else Voice.load(voice or index["voice"])
    actual = sha256_file(loaded.model_path)
    if index["source"]["sha256"] != actual:
        raise VariantMismatchError(
            f"pack {path} was made for {index['voice']} with sha256 "
            f"{index['source']['sha256'][:12]}…, but {loaded.model_path} is {actual[:12]}…"
        )
    name = index["variant"]
    check_new_variant(loaded, name, replace)
    say(f"building variant {name!r} of {loaded.name} from {path.name}: reading the voice")
    known = _voice_tensors(loaded)
    with zipfile.ZipFile(path) as archive:
        graphs = {}
        for step, (graph, data) in enumerate(
            zip(GRAPHS, _members(archive, index, path), strict=True), 1
        ):
            say(f"building variant {name!r}: graph {step}/{len(GRAPHS)} ({graph})")
            graphs[graph] = _fill(data, index["graphs"][graph], known, path)
    record = {
        "file": path.name,
        "sha256": sha256_file(path),
        "imported": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "default_for": index["default_for"],
    }

    def build(folder: Path) -> dict[str, str]:
        for graph, data in graphs.items():
            (folder / f"{graph}.onnx").write_bytes(data)
        return {graph: f"{graph}.onnx" for graph in graphs}

    variant = write_variant(
        loaded, name, build, {**index["manifest"], "pack": record}, replace=replace
    )
    say(f"built variant {name!r} of {loaded.name} in {variant.folder}")
    return variant


def shipped_packs(voice: Voice) -> dict[str, Path]:
    """The packs shipped in this package for ``voice``, by variant name."""
    folder = _SHIPPED / voice.name
    if not folder.is_dir():
        return {}
    return {p.name.removesuffix(PACK_SUFFIX): p for p in sorted(folder.glob(f"*{PACK_SUFFIX}"))}


def default_variant(voice: Voice, backend: str) -> str:
    """The shipped variant that is ``voice``'s default on ``backend``, else fp32 (also
    for another build of a voice of the same name: a pack fits one file only)."""
    for name, path in shipped_packs(voice).items():
        index = read_pack(path)
        if backend not in index["default_for"]:
            continue
        if index["source"]["sha256"] != sha256_file(voice.model_path):
            _LOGGER.info("shipped %s does not fit %s: speaking fp32", path.name, voice.model_path)
            return REFERENCE_VARIANT
        return name
    return REFERENCE_VARIANT


def shipped_variant(voice: Voice, name: str, progress: Progress | None = None) -> Variant:
    """The stored variant ``name``, built from the shipped pack on first use."""
    built = (variant_folder(voice, name) / MANIFEST).is_file()  # checked by load_variant
    if not built and name in shipped_packs(voice):
        _LOGGER.warning("first use of variant %r of %s: building it (once)", name, voice.name)
        return import_pack(shipped_packs(voice)[name], voice, progress=progress)
    return load_variant(voice, name)
