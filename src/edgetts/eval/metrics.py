"""Word and character error rates, and a paired bootstrap for their differences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .textnorm import normalize_for_wer

__all__ = [
    "ErrorCounts",
    "aggregate_cer",
    "aggregate_wer",
    "bootstrap_difference",
    "bootstrap_mean_difference",
    "edit_distance",
    "error_counts",
]


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance (substitutions, deletions, insertions all cost 1)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class ErrorCounts:
    """Edits and reference lengths for one sentence, in words and in characters."""

    word_edits: int
    words: int
    char_edits: int
    chars: int

    @property
    def wer(self) -> float:
        return self.word_edits / max(self.words, 1)

    @property
    def cer(self) -> float:
        return self.char_edits / max(self.chars, 1)


def error_counts(reference: str, hypothesis: str) -> ErrorCounts:
    """Compare after :func:`normalize_for_wer` on both sides."""
    ref, hyp = normalize_for_wer(reference), normalize_for_wer(hypothesis)
    return ErrorCounts(
        word_edits=edit_distance(ref.split(), hyp.split()),
        words=len(ref.split()),
        char_edits=edit_distance(ref, hyp),
        chars=len(ref),
    )


def aggregate_wer(counts: Sequence[ErrorCounts]) -> float:
    """Corpus WER: all edits over all reference words (not a mean of sentence WERs)."""
    return sum(c.word_edits for c in counts) / max(sum(c.words for c in counts), 1)


def aggregate_cer(counts: Sequence[ErrorCounts]) -> float:
    return sum(c.char_edits for c in counts) / max(sum(c.chars for c in counts), 1)


def bootstrap_difference(
    variant: Sequence[ErrorCounts],
    baseline: Sequence[ErrorCounts],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Corpus-WER difference ``variant - baseline`` and its paired 95% bootstrap interval.

    Sentences are resampled with replacement, the same indices for both sides.
    """
    if len(variant) != len(baseline) or not variant:
        raise ValueError(
            f"need the same non-zero number of sentences, got {len(variant)} and {len(baseline)}"
        )
    v_edits = np.array([c.word_edits for c in variant], dtype=np.float64)
    b_edits = np.array([c.word_edits for c in baseline], dtype=np.float64)
    words = np.array([c.words for c in baseline], dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(words), size=(resamples, len(words)))
    total = np.maximum(words[idx].sum(axis=1), 1.0)
    diffs = (v_edits[idx].sum(axis=1) - b_edits[idx].sum(axis=1)) / total
    low, high = np.percentile(diffs, [2.5, 97.5])
    return aggregate_wer(variant) - aggregate_wer(baseline), float(low), float(high)


def bootstrap_mean_difference(
    variant: Sequence[float], baseline: Sequence[float], *, resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of the paired differences ``variant - baseline`` (one score per sentence,
    e.g. DNSMOS) and its 95% bootstrap interval."""
    if len(variant) != len(baseline) or not variant:
        raise ValueError(
            f"need the same non-zero number of sentences, got {len(variant)} and {len(baseline)}"
        )
    diffs = np.asarray(variant, np.float64) - np.asarray(baseline, np.float64)
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, len(diffs), size=(resamples, len(diffs)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diffs.mean()), float(low), float(high)
