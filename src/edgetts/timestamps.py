"""Word timings from the duration predictor, and subtitle files from them.

VITS predicts how many latent frames each phoneme id lasts; a frame is
``hop`` samples of audio. Phonemes are grouped into words at the spaces
espeak-ng puts between them and matched to the words of the (normalised)
sentence text. When espeak-ng has fused words ("on the" -> ``ɔnðə``), the
counts differ and each text word gets the stretch of the sentence's speech that
its share of the letters would take.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["WordTime", "to_srt", "to_vtt", "word_times"]


@dataclass(frozen=True)
class WordTime:
    word: str
    start: float
    end: float

    def shifted(self, seconds: float) -> WordTime:
        return WordTime(self.word, self.start + seconds, self.end + seconds)


def word_times(
    text: str,
    phonemes: Sequence[str],
    ids_per_phoneme: Sequence[int],
    durations: NDArray[np.floating],
    seconds_per_frame: float,
) -> list[WordTime]:
    """Timings of the words of ``text`` from per-id ``durations`` (in frames).

    ``durations`` covers the id layout BOS PAD (phoneme ids PAD)* EOS.
    """
    frames = np.asarray(durations, dtype=np.float64).reshape(-1)
    lead = float(frames[:2].sum())  # BOS and its PAD: silence before the first word
    per_phoneme, at = [], 2
    for count in ids_per_phoneme:
        per_phoneme.append(float(frames[at : at + count].sum()))
        at += count
    starts = lead + np.concatenate([[0.0], np.cumsum(per_phoneme)])
    # Phoneme spans of the spoken words (spaces and punctuation carry no word).
    spans: list[tuple[int, int]] = []
    begin = None
    for i, phoneme in enumerate([*phonemes, " "]):
        if phoneme.isspace() or phoneme in ",.;:!?":
            if begin is not None:
                spans.append((begin, i))
                begin = None
        elif begin is None:
            begin = i
    words = text.split()
    if not words or not spans:
        return []
    if len(spans) == len(words):
        return [
            WordTime(w, float(starts[a] * seconds_per_frame), float(starts[b] * seconds_per_frame))
            for w, (a, b) in zip(words, spans, strict=True)
        ]
    # Fused or split words: spread the text's letters over the spoken stretch.
    first, last = starts[spans[0][0]], starts[spans[-1][1]]
    letters = np.array([max(1, sum(c.isalnum() for c in w)) for w in words], dtype=np.float64)
    edges = first + (last - first) * np.concatenate([[0.0], np.cumsum(letters)]) / letters.sum()
    return [
        WordTime(w, float(edges[j] * seconds_per_frame), float(edges[j + 1] * seconds_per_frame))
        for j, w in enumerate(words)
    ]


def _cues(words: Sequence[WordTime], max_words: int) -> Iterable[tuple[float, float, str]]:
    if isinstance(max_words, bool) or not isinstance(max_words, int) or max_words < 1:
        raise ValueError(f"max_words must be a positive int, got {max_words!r}")
    for i in range(0, len(words), max_words):
        group = words[i : i + max_words]
        yield group[0].start, group[-1].end, " ".join(w.word for w in group)


def _clock(seconds: float, decimal: str) -> str:
    ms = round(seconds * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{ms:03d}"


def to_srt(words: Sequence[WordTime], max_words: int = 7) -> str:
    """SubRip subtitles, ``max_words`` words a cue."""
    cues = [
        f"{n}\n{_clock(a, ',')} --> {_clock(b, ',')}\n{text}\n"
        for n, (a, b, text) in enumerate(_cues(words, max_words), 1)
    ]
    return "\n".join(cues)


def to_vtt(words: Sequence[WordTime], max_words: int = 7) -> str:
    """WebVTT subtitles, ``max_words`` words a cue."""
    cues = [
        f"{_clock(a, '.')} --> {_clock(b, '.')}\n{text}\n" for a, b, text in _cues(words, max_words)
    ]
    return "WEBVTT\n\n" + "\n".join(cues)
