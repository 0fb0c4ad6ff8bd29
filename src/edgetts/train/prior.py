"""A cheaper prior: a text encoder with fewer layers, distilled from the voice's.

Once the decoder and the flow are students, the prior graph (text encoder and
stochastic duration predictor, at the phoneme rate) takes about half of a
sentence's time, and most of it is many small ops, not arithmetic: the
encoder's six transformer layers with relative attention are about 55% of it.
Narrowing them would save little; removing layers saves. The student keeps
``layers`` of them, spread evenly (the first and the last always), starts from
the teacher's weights and is trained to give the teacher's hidden states (L1).
Everything downstream (prior means and scales, the duration predictor, which
reads the hidden states) is the voice's own; :mod:`edgetts.train.prior_graph`
writes the graph.

The duration predictor (~38% of the prior: three spline flows run backwards
from noise) stays: small convolutional students trained on the teacher's
log-durations did not learn its noise-to-duration map, nor even the mean log-
duration per phoneme (docs/training.md).

Training data are phoneme sequences from the calibration text and from its
words reshuffled into new sentences (a few hundred words give thousands of
contexts); the teacher is run on each, so no dataset is needed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ..config import check_int
from ..phonemize import phonemize
from ..voice import Voice
from .loop import History, fit_per_sentence, whole_sentence
from .model import TextEncoder, VitsVoice, _count
from .onnx_import import read_onnx_voice

__all__ = [
    "check_prior_settings",
    "distill_prior",
    "drop_layers",
    "encoder_layers",
    "phoneme_sequences",
    "shuffled_sentences",
]

MAX_NOISE_W = 1.2  # held-out noise scales are drawn from [0, MAX_NOISE_W]


def check_prior_settings(layers: object, teacher_layers: int, steps: object = 1) -> None:
    """Raise ``ValueError`` for a layer count outside [2, teacher_layers] or bad steps."""
    check_int("encoder layers (2 to the voice's own)", layers, low=2, high=teacher_layers)
    check_int("prior steps", steps, low=1)


def encoder_layers(model_path: Path) -> int:
    """How many text-encoder layers a Piper voice has."""
    return _count(read_onnx_voice(model_path).convs, "enc_p.encoder.attn_layers.")


def drop_layers(encoder: TextEncoder, layers: int) -> TextEncoder:
    """A copy of ``encoder`` running ``layers`` of its layers, evenly spread."""
    check_prior_settings(layers, encoder.layers)
    student = copy.deepcopy(encoder)
    student.kept = sorted({round(i) for i in np.linspace(0, encoder.layers - 1, layers)})
    return student


def shuffled_sentences(texts: Sequence[str], count: int, seed: int) -> list[str]:
    """``count`` new sentences of 4 to 24 words drawn from the words of ``texts``."""
    words = [w.strip(".,;:!?\"'()") for text in texts for w in text.split()]
    words = [w for w in words if w]
    if not words:
        raise ValueError("the training texts have no words")
    rng = np.random.default_rng(seed)
    ends = [".", "?", "!", ","]
    sentences = []
    for _ in range(count):
        picked = rng.choice(words, size=int(rng.integers(4, 25)))
        sentences.append(" ".join(picked).capitalize() + ends[int(rng.integers(len(ends)))])
    return sentences


def phoneme_sequences(voice: Voice, texts: Sequence[str]) -> list[Tensor]:
    """Each sentence's phoneme ids, shape (1, T)."""
    return [
        torch.from_numpy(voice.id_mapper(sentence.phonemes).ids[np.newaxis, :])
        for text in texts
        for sentence in phonemize(text, voice.config.espeak_voice)
    ]


def _noise(ids: Tensor, generator: torch.Generator) -> Tensor:
    scale = float(torch.rand(1, generator=generator)) * MAX_NOISE_W
    return torch.randn(1, 2, ids.shape[1], generator=generator) * scale


def _held_out_error(
    teacher: VitsVoice, encoder: TextEncoder, held_out: Sequence[Tensor]
) -> tuple[float, float]:
    """Mean |Δ prior mean| and |Δ log-duration| against the teacher, same noise."""
    generator = torch.Generator().manual_seed(1)
    means, durations = [], []
    with torch.no_grad():
        for ids in held_out:
            mask, noise = whole_sentence(ids), _noise(ids, generator)
            x_t, m_t, _ = teacher.enc_p(ids, mask)
            x_s, m_s, _ = encoder(ids, mask)
            means.append((m_s - m_t).abs().mean().item())
            logw = teacher.dp(x_s, mask, noise) - teacher.dp(x_t, mask, noise)
            durations.append(logw.abs().mean().item())
    return float(np.mean(means)), float(np.mean(durations))


def distill_prior(
    teacher: VitsVoice,
    train: Sequence[Tensor],
    held_out: Sequence[Tensor],
    *,
    layers: int,
    steps: int,
    seed: int = 0,
) -> tuple[TextEncoder, History]:
    """An encoder of ``layers`` layers trained ``steps`` steps (one sentence each)
    to give the teacher's hidden states."""
    check_prior_settings(layers, teacher.enc_p.layers, steps)
    if not train or not held_out:
        raise ValueError("distilling the prior needs training and held-out sentences")
    encoder = drop_layers(teacher.enc_p, layers)

    def loss(index: int) -> Tensor:
        ids = train[index]
        mask = whole_sentence(ids)
        with torch.no_grad():
            x_t, _, _ = teacher.enc_p(ids, mask)
        return (encoder(ids, mask)[0] - x_t).abs().mean()

    history = fit_per_sentence(
        encoder,
        loss,
        lambda: _held_out_error(teacher, encoder, held_out),
        examples=len(train),
        steps=steps,
        seed=seed,
    )
    return encoder, history
