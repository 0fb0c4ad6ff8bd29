"""The two configs: a voice's, read from the JSON beside its model, and a
per-call synthesis config whose ``None`` fields mean "the voice's default"."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import VoiceConfigError
from .ids import BOS, EOS, PAD

__all__ = ["SUPPORTED_SAMPLE_RATES", "SynthesisConfig", "VoiceConfig"]

#: The voice rates a config may declare (Piper voices are 16 000 or 22 050 Hz).
MIN_VOICE_RATE, MAX_VOICE_RATE = 8000, 48000
#: Output rates ``sample_rate=`` accepts besides the voice's own.
SUPPORTED_SAMPLE_RATES = (16000, 22050, 24000, 44100, 48000)


@dataclass(frozen=True)
class VoiceConfig:
    """What edgetts needs from a Piper ``.onnx.json``."""

    sample_rate: int
    espeak_voice: str
    phoneme_id_map: Mapping[str, tuple[int, ...]]
    noise_scale: float = 0.667
    length_scale: float = 1.0
    noise_w: float = 0.8
    num_speakers: int = 1
    speaker_id_map: Mapping[str, int] = field(default_factory=dict)
    language: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> VoiceConfig:
        """Parse a Piper voice config; raise :class:`VoiceConfigError` naming ``source``."""

        def bad(problem: str) -> VoiceConfigError:
            return VoiceConfigError(f"voice config {source}: {problem}")

        if not isinstance(data, Mapping):
            raise bad(f"expected a JSON object, got {type(data).__name__}")
        phoneme_type = data.get("phoneme_type", "espeak")
        if phoneme_type != "espeak":
            raise bad(f"phoneme_type {phoneme_type!r} is not supported (only 'espeak')")
        try:
            sample_rate = int(data["audio"]["sample_rate"])
            espeak_voice = str(data["espeak"]["voice"])
            raw_map = data["phoneme_id_map"]
            id_map = {str(k): tuple(int(i) for i in v) for k, v in raw_map.items()}
        except KeyError as exc:
            raise bad(f"missing key {exc.args[0]!r}") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise bad(f"malformed field ({exc})") from exc
        if not MIN_VOICE_RATE <= sample_rate <= MAX_VOICE_RATE:
            raise bad(
                f"audio.sample_rate {sample_rate} is outside {MIN_VOICE_RATE}-{MAX_VOICE_RATE} Hz"
            )
        missing = [s for s in (BOS, PAD, EOS) if s not in id_map]
        if missing:
            raise bad(f"phoneme_id_map lacks the BOS/PAD/EOS symbols {missing}")
        if len(id_map) <= len((BOS, PAD, EOS)):
            raise bad("phoneme_id_map has no phonemes besides BOS/PAD/EOS")
        negative = sorted(k for k, ids in id_map.items() if any(i < 0 for i in ids))
        if negative:
            raise bad(f"phoneme_id_map has negative ids for {negative[:5]}")
        inference = data.get("inference") or {}
        try:
            return cls(
                sample_rate=sample_rate,
                espeak_voice=espeak_voice,
                phoneme_id_map=id_map,
                noise_scale=float(inference.get("noise_scale", cls.noise_scale)),
                length_scale=float(inference.get("length_scale", cls.length_scale)),
                noise_w=float(inference.get("noise_w", cls.noise_w)),
                num_speakers=int(data.get("num_speakers", 1)),
                speaker_id_map={
                    str(k): int(v) for k, v in (data.get("speaker_id_map") or {}).items()
                },
                language=(data.get("language") or {}).get("code"),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise bad(f"malformed field ({exc})") from exc

    @classmethod
    def from_file(cls, path: Path) -> VoiceConfig:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise VoiceConfigError(f"voice config {path} does not exist") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise VoiceConfigError(f"voice config {path} cannot be read: {exc}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise VoiceConfigError(f"voice config {path} is not valid JSON: {exc}") from exc
        return cls.from_dict(data, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """The Piper JSON layout (enough to round-trip through :meth:`from_dict`)."""
        return {
            "audio": {"sample_rate": self.sample_rate},
            "espeak": {"voice": self.espeak_voice},
            "phoneme_type": "espeak",
            "phoneme_id_map": {k: list(v) for k, v in self.phoneme_id_map.items()},
            "inference": {
                "noise_scale": self.noise_scale,
                "length_scale": self.length_scale,
                "noise_w": self.noise_w,
            },
            "num_speakers": self.num_speakers,
            "speaker_id_map": dict(self.speaker_id_map),
            "language": {"code": self.language} if self.language else {},
        }


def check_number(
    name: str, value: object, *, low: float, high: float, unit: str = "", none: bool = True
) -> None:
    """A finite real number within ``[low, high]``, or ``None`` where ``none``; else
    a TypeError for the type, a ValueError for the range."""
    if value is None and none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "a number or None" if none else "a number"
        raise TypeError(f"{name} must be {kind}, got {type(value).__name__}")
    if not (math.isfinite(value) and low <= value <= high):
        where = f"[{low}, {high}]" + (f" {unit}" if unit else "")
        raise ValueError(f"{name} must be within {where}, got {value!r}")


def check_int(
    name: str, value: object, *, low: int, high: int | None = None, none: bool = False
) -> None:
    """An int (a bool is not one) of at least ``low`` (and at most ``high``), or
    ``None`` where ``none``; else a TypeError for the type, a ValueError for the range."""
    if value is None and none:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        kind = "an int or None" if none else "an int"
        raise TypeError(f"{name} must be {kind}, got {type(value).__name__}")
    if high is not None and not low <= value <= high:
        raise ValueError(f"{name} must be within [{low}, {high}], got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be at least {low}, got {value!r}")


@dataclass(frozen=True)
class SynthesisConfig:
    """Per-call options; ``None`` means the voice's default."""

    speed: float | None = None
    noise_scale: float | None = None
    noise_w: float | None = None
    speaker_id: int | None = None
    sample_rate: int | None = None
    volume: float = 1.0
    #: Scale each sentence to a peak of ``volume`` (else ``volume`` is a plain gain).
    peak_normalize: bool = True
    sentence_silence: float = 0.0
    #: The most ``<break>`` time one call may ask for, in seconds, all breaks together.
    max_break_seconds: float = 600.0
    #: The most audio one call may make, in seconds; ``None``: 10 minutes, or
    #: half a second per character of input if that is more (speech takes about
    #: 0.07 s a character: a book fits, a small input cannot ask for hours).
    max_audio_seconds: float | None = None

    def __post_init__(self) -> None:
        check_number("speed", self.speed, low=0.1, high=10.0)
        check_number("noise_scale", self.noise_scale, low=0.0, high=2.0)
        check_number("noise_w", self.noise_w, low=0.0, high=2.0)
        check_number("volume", self.volume, low=0.0, high=10.0)
        check_number("sentence_silence", self.sentence_silence, low=0.0, high=60.0)
        check_number("max_break_seconds", self.max_break_seconds, low=0.0, high=86_400.0)
        check_number("max_audio_seconds", self.max_audio_seconds, low=1.0, high=1e7)
        check_int("sample_rate", self.sample_rate, low=1, none=True)
        check_int("speaker_id", self.speaker_id, low=0, none=True)
        if self.sample_rate is not None and self.sample_rate not in SUPPORTED_SAMPLE_RATES:
            raise ValueError(
                f"sample_rate {self.sample_rate!r} is not supported; "
                f"use one of {list(SUPPORTED_SAMPLE_RATES)} or None for the voice's rate"
            )

    def audio_limit(self, characters: int) -> float:
        """The most seconds of audio a call with ``characters`` of input may make."""
        if self.max_audio_seconds is not None:
            return self.max_audio_seconds
        return max(600.0, 0.5 * characters)

    def scales(self, voice: VoiceConfig) -> tuple[float, float, float]:
        """``(noise_scale, length_scale, noise_w)`` as the model's ``scales`` input wants."""
        noise_scale = voice.noise_scale if self.noise_scale is None else self.noise_scale
        noise_w = voice.noise_w if self.noise_w is None else self.noise_w
        length_scale = voice.length_scale / (1.0 if self.speed is None else self.speed)
        return float(noise_scale), float(length_scale), float(noise_w)
