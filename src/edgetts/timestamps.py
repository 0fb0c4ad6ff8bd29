"""Phoneme and word timings from the duration predictor, and subtitle files.

VITS predicts how many latent frames each phoneme id lasts; a frame is
``hop`` samples of audio, and a phoneme lasts as long as its ids. Phonemes
are grouped into spoken words at the spaces espeak-ng puts between them, and
matched to the words of the (normalised) sentence text by a monotonic
alignment: espeak-ng fuses short words ("on the" -> ``ɔnðə``, "to be" ->
``təbi``), so one spoken word may stand for up to three text words, which share
its time by their letters. The alignment picks the grouping whose phoneme
counts best fit the words' letter counts, so one fusion does not shift every
word after it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from .config import check_int

__all__ = [
    "PhonemeTime",
    "Timeline",
    "WordTime",
    "phoneme_times",
    "to_srt",
    "to_vtt",
    "word_times",
]

_Timed = TypeVar("_Timed", "WordTime", "PhonemeTime")


def _shifted(timed: _Timed, seconds: float) -> _Timed:
    return replace(timed, start=timed.start + seconds, end=timed.end + seconds)


@dataclass(frozen=True)
class WordTime:
    word: str
    start: float
    end: float

    def shifted(self, seconds: float) -> WordTime:
        return _shifted(self, seconds)


@dataclass(frozen=True)
class PhonemeTime:
    phoneme: str  # as espeak-ng wrote it: also spaces, stress marks and punctuation
    start: float
    end: float

    def shifted(self, seconds: float) -> PhonemeTime:
        return _shifted(self, seconds)


@dataclass
class Timeline:
    """Timings of consecutive pieces of audio, gathered on one clock."""

    words: list[WordTime] = field(default_factory=list)
    phonemes: list[PhonemeTime] = field(default_factory=list)

    def add(
        self, words: Sequence[WordTime], phonemes: Sequence[PhonemeTime], seconds: float
    ) -> None:
        """A piece's timings, which start ``seconds`` into the whole."""
        self.words += [w.shifted(seconds) for w in words]
        self.phonemes += [p.shifted(seconds) for p in phonemes]


def _phoneme_starts(
    ids_per_phoneme: Sequence[int], durations: NDArray[np.floating]
) -> NDArray[np.float64]:
    """Frame at which each phoneme starts, and the last one's end.

    ``durations`` covers the id layout BOS PAD (phoneme ids PAD)* EOS.
    """
    frames = np.asarray(durations, dtype=np.float64).reshape(-1)
    lead = float(frames[:2].sum())  # BOS and its PAD: silence before the first phoneme
    per_phoneme, at = [], 2
    for count in ids_per_phoneme:
        per_phoneme.append(float(frames[at : at + count].sum()))
        at += count
    return lead + np.concatenate([[0.0], np.cumsum(per_phoneme)])


def phoneme_times(
    phonemes: Sequence[str],
    ids_per_phoneme: Sequence[int],
    durations: NDArray[np.floating],
    seconds_per_frame: float,
) -> list[PhonemeTime]:
    """Timings of each of ``phonemes`` from per-id ``durations`` (in frames); a
    phoneme the voice does not know (no ids) takes no time."""
    seconds = _phoneme_starts(ids_per_phoneme, durations) * seconds_per_frame
    return [
        PhonemeTime(p, float(seconds[i]), float(seconds[i + 1])) for i, p in enumerate(phonemes)
    ]


def word_times(
    text: str,
    phonemes: Sequence[str],
    ids_per_phoneme: Sequence[int],
    durations: NDArray[np.floating],
    seconds_per_frame: float,
) -> list[WordTime]:
    """Timings of the words of ``text`` from per-id ``durations`` (in frames)."""
    starts = _phoneme_starts(ids_per_phoneme, durations)
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
    seconds = starts * seconds_per_frame
    groups = _align(words, [sum(p not in _MARKS for p in phonemes[a:b]) for a, b in spans])
    if groups is None:  # more text words than fusions can explain: spread over all
        groups = [(0, len(words), 0, len(spans))]
    timed: list[WordTime] = []
    for first_word, end_word, first_span, end_span in groups:
        begin, end = seconds[spans[first_span][0]], seconds[spans[end_span - 1][1]]
        timed += _share(words[first_word:end_word], begin, end)
    return timed


_MARKS = frozenset("ˈˌːˑ")  # stress and length: no sound of their own
_MAX_FUSED = 3  # text words one spoken word may stand for
_FUSE_COST = 0.5  # per extra word in a fusion, against a letter/phoneme misfit
_BAND = 6  # how far from the diagonal the alignment may stray, beyond the count difference


def _letters(word: str) -> int:
    return max(1, sum(c.isalnum() for c in word))


def _align(words: Sequence[str], sounds: Sequence[int]) -> list[tuple[int, int, int, int]] | None:
    """Groups ``(first word, end word, first span, end span)`` covering both in order.

    Each spoken span stands for 1 to ``_MAX_FUSED`` text words, or two spans for
    one word (espeak-ng splitting a compound); the cost of a group is how far its
    letters and phonemes are from proportion, plus ``_FUSE_COST`` per extra piece.
    None when no such grouping exists.
    """
    n, m = len(words), len(sounds)
    letters = [0, *itertools.accumulate(_letters(w) for w in words)]
    phones = [0, *itertools.accumulate(sounds)]
    ratio = (phones[-1] + 1.0) / (letters[-1] + 1.0)  # the sentence's phonemes per letter
    moves = [(k, 1) for k in range(1, _MAX_FUSED + 1)] + [(1, 2)]
    # Fusions are few, so the path keeps near the diagonal: searching a band around
    # it keeps this well under a millisecond for long sentences (it runs before a
    # stream's first chunk).
    band = abs(n - m) + _BAND
    cost: dict[tuple[int, int], float] = {(0, 0): 0.0}
    back: dict[tuple[int, int], tuple[int, int]] = {}
    for i in range(n + 1):
        middle = i * m // max(n, 1)
        for j in range(max(0, middle - band), min(m, middle + band) + 1):
            here = cost.get((i, j))
            if here is None:
                continue
            for dw, ds in moves:
                a, b = i + dw, j + ds
                if a > n or b > m:
                    continue
                spoken = phones[b] - phones[j] + 1.0
                fit = abs(math.log(spoken / (ratio * (letters[a] - letters[i]) + 1.0)))
                total = here + fit + _FUSE_COST * (dw + ds - 2)
                if total < cost.get((a, b), math.inf):
                    cost[a, b] = total
                    back[a, b] = (i, j)
    if (n, m) not in cost:
        return None
    groups, at = [], (n, m)
    while at != (0, 0):
        before = back[at]
        groups.append((before[0], at[0], before[1], at[1]))
        at = before
    return groups[::-1]


def _share(words: Sequence[str], begin: float, end: float) -> list[WordTime]:
    """``words`` spread over ``[begin, end]`` in proportion to their letters."""
    letters = np.array([_letters(w) for w in words], dtype=np.float64)
    edges = begin + (end - begin) * np.concatenate([[0.0], np.cumsum(letters)]) / letters.sum()
    return [WordTime(w, float(edges[k]), float(edges[k + 1])) for k, w in enumerate(words)]


def _cues(words: Sequence[WordTime], max_words: int) -> Iterable[tuple[float, float, str]]:
    check_int("max_words", max_words, low=1)
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
