"""Phonemes to model input ids with Piper's layout: BOS PAD (phoneme PAD)* EOS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import _core

__all__ = ["BOS", "EOS", "PAD", "PhonemeIdMapper", "PhonemeIds"]

BOS, PAD, EOS = "^", "_", "$"


@dataclass(frozen=True)
class PhonemeIds:
    """Model input ids and the phonemes the voice's map did not know (skipped)."""

    ids: NDArray[np.int64]
    missing: tuple[str, ...]


class PhonemeIdMapper:
    """Maps phonemes through a voice's ``phoneme_id_map`` (prepared once per voice)."""

    def __init__(self, id_map: Mapping[str, Sequence[int]]) -> None:
        self._table = {k: list(v) for k, v in id_map.items()}
        missing = [s for s in (BOS, PAD, EOS) if s not in self._table]
        if missing:
            raise ValueError(f"phoneme_id_map lacks the BOS/PAD/EOS symbols {missing}")

    def ids_per_phoneme(self, phonemes: Sequence[str]) -> list[int]:
        """How many ids each phoneme gets (its own and the PAD after it; 0 if unknown)."""
        pad = len(self._table[PAD])
        return [len(self._table[p]) + pad if p in self._table else 0 for p in phonemes]

    def span(self, before: Sequence[str], phonemes: Sequence[str]) -> tuple[int, int]:
        """Where the ids of ``phonemes`` lie in the ids of ``[*before, *phonemes, ...]``."""
        first = len(self._table[BOS]) + len(self._table[PAD]) + sum(self.ids_per_phoneme(before))
        return first, first + sum(self.ids_per_phoneme(phonemes))

    def __call__(self, phonemes: Sequence[str]) -> PhonemeIds:
        """Unknown phonemes are skipped and reported in ``PhonemeIds.missing``."""
        t = self._table
        ids, missing = _core.phonemes_to_ids(list(phonemes), t, t[BOS], t[PAD], t[EOS])
        return PhonemeIds(ids=np.asarray(ids, dtype=np.int64), missing=tuple(missing))
