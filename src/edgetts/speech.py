"""What a synthesis call gives: :class:`Audio`, a chunk of speech with its timings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .audio import to_int16
from .timestamps import PhonemeTime, WordTime
from .wav import write_wav

__all__ = ["Audio"]


@dataclass(frozen=True, eq=False)
class Audio:
    """Mono float32 audio in [-1, 1]; int16 and files are derived on request.

    A chunk from :meth:`edgetts.EdgeTTS.stream` also says where it came from:
    ``text``, the sentence it speaks (empty for a break's silence), and
    ``offset``, where it starts in the call's audio.
    """

    samples: NDArray[np.float32]
    sample_rate: int
    #: Word timings, when asked for (``timestamps=True``); seconds from this audio's start.
    words: tuple[WordTime, ...] = ()
    #: Phoneme timings, with the words: each of espeak-ng's phonemes, spaces included.
    phonemes: tuple[PhonemeTime, ...] = ()
    #: The text this audio speaks (a sentence, or its piece where a long one was cut).
    text: str = ""
    #: Seconds from the start of the call's audio to this chunk's first sample.
    offset: float = 0.0

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate

    def to_int16(self, *, dither: bool = False) -> NDArray[np.int16]:
        return to_int16(self.samples, dither=dither)

    def save(self, path: str | Path, *, sample_format: str = "pcm16") -> Path:
        """Write a WAV file atomically (``"pcm16"`` or ``"float32"``); returns its path."""
        return write_wav(path, [self.samples], self.sample_rate, sample_format=sample_format)
