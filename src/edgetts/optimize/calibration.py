"""Calibration data: what each split graph sees when the fp32 voice speaks.

The default set is ``calibration.txt`` beside this module: 40 sentences
written for this project (commands, questions, numbers, one-word replies,
long clauses), none of them among the development sentences the benchmark
judges, so a variant is never tuned on its own test.

``corpus.txt`` is the larger set a student decoder's teacher speaks (4 800
sentences from ``tools/make_corpus.py``: everyday templates and prose from
Python's docstrings, none of them development sentences): :func:`load_corpus`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..backends import BackendOptions
from ..backends._model import model_inputs
from ..config import SynthesisConfig, check_int
from ..phonemize import phonemize
from ..split import SplitVoice
from ..streaming import SplitModel
from ..voice import Voice

__all__ = ["CalibrationSet", "GraphFeeds", "graph_feeds", "load_calibration", "load_corpus"]

Feed = dict[str, NDArray[np.generic]]

MAX_SENTENCES = 1000


@dataclass(frozen=True)
class CalibrationSet:
    source: str  # the file, or "edgetts:calibration.txt" for the built-in set
    sha256: str
    texts: tuple[str, ...]


def load_calibration(path: str | os.PathLike[str] | None = None) -> CalibrationSet:
    """One sentence per non-empty line of ``path`` (default: the built-in set)."""
    if path is None:
        data = files(__package__).joinpath("calibration.txt").read_bytes()
        source = "edgetts:calibration.txt"
    else:
        source = os.fspath(path)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read calibration file {source}: {exc.strerror}") from exc
    try:
        texts = tuple(line.strip() for line in data.decode("utf-8").splitlines() if line.strip())
    except UnicodeDecodeError as exc:
        raise ValueError(f"calibration file {source} is not UTF-8 text: {exc}") from exc
    if not 1 <= len(texts) <= MAX_SENTENCES:
        raise ValueError(
            f"calibration file {source} has {len(texts)} sentences; give 1 to {MAX_SENTENCES}"
        )
    return CalibrationSet(source, hashlib.sha256(data).hexdigest(), texts)


def load_corpus(count: int) -> CalibrationSet:
    """The first ``count`` sentences of the training corpus."""
    lines = files(__package__).joinpath("corpus.txt").read_text(encoding="utf-8").splitlines()
    check_int("count", count, low=1, high=len(lines))
    texts = tuple(lines[:count])
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    return CalibrationSet(f"edgetts:corpus.txt[:{count}]", digest, texts)


@dataclass(frozen=True)
class GraphFeeds:
    prior: list[Feed]
    flow: list[Feed]
    decoder: list[Feed]


def graph_feeds(voice: Voice, split: SplitVoice, texts: tuple[str, ...]) -> GraphFeeds:
    """Every graph's inputs for ``texts`` spoken by the fp32 voice with its default scales."""
    model = SplitModel(split, "onnxruntime", BackendOptions())
    scales = np.array(SynthesisConfig().scales(voice.config), dtype=np.float32)
    feeds = GraphFeeds([], [], [])
    for text in texts:
        for sentence in phonemize(text, voice.config.espeak_voice):
            ids = voice.id_mapper(sentence.phonemes).ids[np.newaxis, :]
            feeds.prior.append(model_inputs(ids, scales, None, False, split.prior))
            prior = model.run_prior(ids, scales, None)
            feeds.flow.append({split.z_p: prior.z_p, split.mask: prior.mask})
            feeds.decoder.append({split.z: model.latent(prior, prior.z_p.shape[2])})
    return feeds
