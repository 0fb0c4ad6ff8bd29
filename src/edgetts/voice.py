"""Finding and loading Piper voices: a ``.onnx`` path (with ``.onnx.json``
beside it) or the name of a voice from an installed voice package."""

from __future__ import annotations

import functools
import importlib.metadata
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .config import VoiceConfig
from .errors import ModelLoadError, VoiceConfigError, VoiceNotFoundError
from .ids import PhonemeIdMapper

__all__ = ["DEFAULT_VOICE", "Voice", "installed_voices"]

DEFAULT_VOICE = "en_US-joe-medium"
#: Extra folders (``os.pathsep``-separated) searched for ``NAME.onnx`` voices.
VOICES_PATH_ENV = "EDGETTS_VOICES_PATH"


def _voices_in(folder: Path) -> dict[str, Path]:
    models = sorted(folder.glob("*.onnx"))
    return {p.stem: p for p in models if p.with_name(p.name + ".json").is_file()}


def installed_voices() -> dict[str, Path]:
    """Voice name -> model path for voices in installed packages and ``EDGETTS_VOICES_PATH``.

    Voice packages are found from their file lists (distributions whose name
    mentions "voice"), so nothing is imported.
    """
    found: dict[str, Path] = {}
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if "voice" not in name:
            continue
        for file in dist.files or ():
            if file.name.endswith(".onnx.json"):
                model = Path(str(dist.locate_file(file)))
                model = model.with_name(file.name[: -len(".json")])
                if model.is_file():
                    found.setdefault(model.name[: -len(".onnx")], model)
    for folder in filter(None, os.environ.get(VOICES_PATH_ENV, "").split(os.pathsep)):
        found.update(_voices_in(Path(folder)))
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class Voice:
    """A Piper voice on disk: its model file and parsed config."""

    name: str
    model_path: Path
    config: VoiceConfig

    @classmethod
    def load(cls, voice: str | os.PathLike[str] | None = None) -> Voice:
        """Resolve ``voice`` (None, a name, or a path to a ``.onnx``) and read its config."""
        if voice is None:
            voice = DEFAULT_VOICE
        if not isinstance(voice, (str, os.PathLike)):
            raise TypeError(f"voice must be a str, a path or None, got {type(voice).__name__}")
        text = os.fspath(voice)
        path = Path(text)
        if text.endswith(".onnx") or path.is_file() or os.sep in text:
            if path.is_dir():
                raise VoiceNotFoundError(f"voice model {path} is a folder, not a .onnx file")
            if not path.is_file():
                raise VoiceNotFoundError(f"voice model {path} does not exist")
            model = path
        else:
            voices = installed_voices()
            if text not in voices:
                raise VoiceNotFoundError(
                    f"no installed voice named {text!r}; installed voices: {sorted(voices)} "
                    f"(or pass the path to a .onnx file)"
                )
            model = voices[text]
        config_path = model.with_name(model.name + ".json")
        config = VoiceConfig.from_file(config_path)
        rows = embedded_ids(model)
        top = max(i for ids in config.phoneme_id_map.values() for i in ids)
        if rows is not None and top >= rows:
            symbol = next(k for k, ids in config.phoneme_id_map.items() if top in ids)
            raise VoiceConfigError(
                f"voice config {config_path}: phoneme_id_map maps {symbol!r} to id {top}, but "
                f"model {model} embeds ids 0..{rows - 1} only"
            )
        return cls(name=model.name.removesuffix(".onnx"), model_path=model, config=config)

    @cached_property
    def id_mapper(self) -> PhonemeIdMapper:
        return PhonemeIdMapper(self.config.phoneme_id_map)


def embedded_ids(model: Path) -> int | None:
    """How many phoneme ids the model's text encoder embeds (None: no such layer).

    Out-of-range ids fail on ONNX Runtime but give garbage on OpenVINO, so the
    voice's map is checked against this before any inference.
    """
    stat = model.stat()
    return _embedded_ids(str(model.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _embedded_ids(path: str, size: int, mtime_ns: int) -> int | None:
    import onnx

    try:
        graph = onnx.load(path, load_external_data=False).graph
    except Exception as exc:  # protobuf's DecodeError, or an OSError
        raise ModelLoadError(f"model {path} is not a readable ONNX file: {exc}") from exc
    tables = {i.name: i.dims for i in graph.initializer if len(i.dims) == 2}
    for node in graph.node:
        table = node.input[0] if node.op_type == "Gather" and node.input else None
        if node.name.endswith("/enc_p/emb/Gather") and table in tables:
            return int(tables[table][0])
    return None
