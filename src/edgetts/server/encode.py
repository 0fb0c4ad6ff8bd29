"""Audio containers that stream: each chunk of samples in, the bytes ready so far out.

mp3, opus (in Ogg pages), aac (ADTS frames) and flac are encoded by FFmpeg
through PyAV, muxed into a sink that cannot seek, so every byte is final when
it is handed out. WAV is a 44-byte header with the streaming sizes
(0xFFFFFFFF, which players read as "until the end") followed by PCM; ``pcm``
is raw 16-bit little-endian mono.
"""

from __future__ import annotations

import contextlib
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..audio import resample, to_int16

__all__ = ["FORMATS", "Encoder", "media_type"]


@dataclass(frozen=True)
class _Format:
    media_type: str
    container: str | None = None  # FFmpeg muxer; None: written here
    codec: str | None = None
    rates: tuple[int, ...] = ()  # the codec's rates, where it has a fixed set


FORMATS = {
    "mp3": _Format("audio/mpeg", "mp3", "libmp3lame"),
    "opus": _Format("audio/ogg", "ogg", "libopus", (48000, 24000, 16000, 12000, 8000)),
    "aac": _Format("audio/aac", "adts", "aac"),
    "flac": _Format("audio/flac", "flac", "flac"),
    "wav": _Format("audio/wav"),
    "pcm": _Format("audio/pcm"),
}
_STREAMING_SIZE = 0xFFFFFFFF


def media_type(name: str) -> str:
    return FORMATS[name].media_type


class _Sink:
    """A write-only file for PyAV: collects what the muxer writes."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


class Encoder:
    """Encode float32 mono chunks at ``rate`` into ``name``'s container, as they come."""

    def __init__(self, name: str, rate: int) -> None:
        if name not in FORMATS:
            raise ValueError(
                f"response_format {name!r} is not supported; use one of {list(FORMATS)}"
            )
        self.format = FORMATS[name]
        self.name = name
        self.input_rate = rate
        # Opus has a fixed set of rates: resample to the nearest above (22050 -> 24000).
        rates = self.format.rates
        self.rate = min((r for r in rates if r >= rate), default=max(rates)) if rates else rate
        self._header_sent = False
        self._container: Any = None
        if self.format.container is not None:
            self._open()

    def _open(self) -> None:
        import av

        self._sink = _Sink()
        self._container = av.open(self._sink, mode="w", format=self.format.container)
        stream = self._container.add_stream(self.format.codec, rate=self.rate)
        stream.layout = "mono"
        self._stream = stream
        self._pts = 0

    def _header(self) -> bytes:
        if self._header_sent or self.name != "wav":
            return b""
        self._header_sent = True
        return b"RIFF" + struct.pack(
            "<I4s4sIHHIIHH4sI",
            _STREAMING_SIZE,
            b"WAVE",
            b"fmt ",
            16,
            1,
            1,
            self.rate,
            self.rate * 2,
            2,
            16,
            b"data",
            _STREAMING_SIZE,
        )

    def encode(self, samples: NDArray[np.float32]) -> bytes:
        """The container's bytes for ``samples`` (may be empty while a codec buffers)."""
        if self.rate != self.input_rate and len(samples):
            samples = resample(samples, self.input_rate, self.rate)
        if self.format.container is None:
            return self._header() + to_int16(samples, dither=False).tobytes()
        return self._mux(samples)

    def _mux(self, samples: NDArray[np.float32] | None) -> bytes:
        import av

        if samples is None:
            packets = self._stream.encode(None)
        else:
            pcm = to_int16(samples, dither=False).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate = self.rate
            frame.pts = self._pts
            self._pts += pcm.shape[1]
            packets = self._stream.encode(frame)
        for packet in packets:
            self._container.mux(packet)
        return self._sink.drain()

    def finish(self) -> bytes:
        """The last bytes: what the codec held back, and the container's trailer."""
        if self.format.container is None:
            return self._header()
        if self._container is None:
            return b""
        tail = self._mux(None)
        self._container.close()
        self._container = None
        return tail + self._sink.drain()

    def close(self) -> None:
        """Release the codec without finishing (a cancelled stream)."""
        if self._container is not None:
            with contextlib.suppress(Exception):  # a half-written container may not close
                self._container.close()
            self._container = None
