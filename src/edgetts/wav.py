"""WAV files written atomically: a temporary file beside the target, renamed
over it only once complete, so an interrupted write never leaves a torn file or
destroys what was there."""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

__all__ = ["SAMPLE_FORMATS", "WavWriter", "write_wav"]

# sample_format -> (WAVE format tag, bytes per sample)
SAMPLE_FORMATS = {"pcm16": (1, 2), "float32": (3, 4)}
_MAX_DATA_BYTES = 0xFFFFFFFF - 36


class WavWriter:
    """Streams mono float32 chunks into ``path``; the file appears on ``close()``.

    Use as a context manager: on an exception the temporary file is removed and
    any existing ``path`` is left untouched.
    """

    def __init__(self, path: str | Path, sample_rate: int, *, sample_format: str = "pcm16") -> None:
        if sample_format not in SAMPLE_FORMATS:
            raise ValueError(
                f"sample_format {sample_format!r} is not supported; "
                f"use one of {list(SAMPLE_FORMATS)}"
            )
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
            raise ValueError(f"sample_rate must be a positive int, got {sample_rate!r}")
        self.path = Path(path)
        self.sample_rate = sample_rate
        self._tag, self._width = SAMPLE_FORMATS[sample_format]
        self._data_bytes = 0
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        self._tmp = Path(tmp)
        os.chmod(fd, 0o644)  # mkstemp makes 0600; give the file ordinary permissions
        self._file = os.fdopen(fd, "wb")
        self._file.write(self._header())

    def _header(self) -> bytes:
        rate, width = self.sample_rate, self._width
        return b"RIFF" + struct.pack(
            "<I4s4sIHHIIHH4sI",
            36 + self._data_bytes,
            b"WAVE",
            b"fmt ",
            16,
            self._tag,
            1,
            rate,
            rate * width,
            width,
            8 * width,
            b"data",
            self._data_bytes,
        )

    def write(self, samples: NDArray[np.float32]) -> None:
        """Append float32 samples in [-1, 1] (converted to the file's format)."""
        from .audio import to_int16

        data = to_int16(samples) if self._tag == 1 else np.ascontiguousarray(samples, "<f4")
        if self._data_bytes + data.nbytes > _MAX_DATA_BYTES:
            raise ValueError(f"{self.path}: audio exceeds the 4 GiB a WAV file can hold")
        self._file.write(data.data)
        self._data_bytes += data.nbytes

    def close(self) -> Path:
        """Finish the header, flush to disk and move the file into place."""
        self._file.seek(0)
        self._file.write(self._header())
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_wav(
    path: str | Path,
    chunks: Iterable[NDArray[np.float32]],
    sample_rate: int,
    *,
    sample_format: str = "pcm16",
) -> Path:
    """Write ``chunks`` of mono float32 audio to ``path`` atomically."""
    with WavWriter(path, sample_rate, sample_format=sample_format) as writer:
        for chunk in chunks:
            writer.write(chunk)
    return writer.path
