"""WAV files (16-bit PCM or float32), written atomically (see ``edgetts.files``)."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from .audio import _samples, scale, to_int16
from .config import check_int
from .files import commit, discard, open_temp_beside

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
        check_int("sample_rate", sample_rate, low=1)
        self.path = Path(path)
        self.sample_rate = sample_rate
        self._tag, self._width = SAMPLE_FORMATS[sample_format]
        self._data_bytes = 0
        self._file, self._tmp = open_temp_beside(self.path)
        try:
            self._file.write(self._header())
        except BaseException:
            discard(self._file, self._tmp)
            raise

    def _header(self) -> bytes:
        rate, width = self.sample_rate, self._width
        return b"RIFF" + struct.pack(
            "<I4s4sIHHIIHH4sI",
            36 + self._data_bytes, b"WAVE", b"fmt ", 16, self._tag, 1,
            rate, rate * width, width, 8 * width, b"data", self._data_bytes,
        )  # fmt: skip

    def write(self, samples: NDArray[np.float32]) -> None:
        """Append mono float32 samples in [-1, 1] (converted to the file's format)."""
        x = _samples(samples)
        # float32 files get the same clipping (and NaN -> 0) as 16-bit ones.
        data = to_int16(x) if self._tag == 1 else scale(x)
        if self._data_bytes + data.nbytes > _MAX_DATA_BYTES:
            raise ValueError(f"{self.path}: audio exceeds the 4 GiB a WAV file can hold")
        self._file.write(data.astype(data.dtype.newbyteorder("<"), copy=False).data)
        self._data_bytes += data.nbytes

    def close(self) -> Path:
        """Finish the header, flush to disk and move the file into place."""
        try:
            self._file.seek(0)
            self._file.write(self._header())
        except BaseException:
            discard(self._file, self._tmp)
            raise
        return commit(self._file, self._tmp, self.path)

    def abort(self) -> None:
        discard(self._file, self._tmp)

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
