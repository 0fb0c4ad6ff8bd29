"""What a student is trained with: the one place each training default is written.

:class:`TrainSettings` is the decoder's training (a checkpoint stores it, and
a resumed run is checked against it); :class:`FlowPriorSettings` is the flow
and the text encoder a student variant gets. ``python -m edgetts.train`` and
``edgetts optimize fast`` read their flags' defaults from these classes, and
``tests/test_cli_defaults.py`` checks that they still do. Importing this
module does not import torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import check_int, check_number

__all__ = [
    "FFT_SIZES",
    "PLATEAU_GAIN",
    "PLATEAU_STEPS",
    "FlowPriorSettings",
    "TrainSettings",
    "TrainState",
    "check_shortest_fft",
]

FFT_SIZES = (64, 128, 256, 512)  # the shortest STFT a loss may start from
#: The stop rule of an adversarial line: less than this DNSMOS OVRL gained on the
#: held-out sentences in the last this many steps, and it stops.
PLATEAU_STEPS = 30_000
PLATEAU_GAIN = 0.05


def check_shortest_fft(value: object) -> None:
    check_int("shortest_fft", value, low=min(FFT_SIZES))
    if value not in FFT_SIZES:
        raise ValueError(f"shortest_fft must be one of {FFT_SIZES}, got {value!r}")


@dataclass(frozen=True)
class TrainSettings:
    """How the student decoder is trained (see :mod:`edgetts.train.student`)."""

    steps: int = 1000
    """Total training steps (a resumed run may raise it: the cosine stretches)."""
    batch: int = 4
    """Windows of latents per step."""
    segment_frames: int = 32
    """Latent frames a window scores (the decoder's context is added on both sides)."""
    learning_rate: float = 1e-4
    """The peak of the cosine schedule."""
    scale_learning_rate: float = 1e-3
    """The peak for QAT's activation scales."""
    draws: int = 3
    """Noise draws of each training sentence."""
    checkpoint_every: int = 50
    """Steps between checkpoints (and points of the held-out curve)."""
    eval_sentences: int = 4
    """Held-out sentences the quality-vs-steps curve is measured on."""
    seed: int = 0
    quantize: bool = False
    """Fake-quantise the student (QAT)."""
    widths: tuple[float, ...] = ()
    """The pruning schedule: the decoder's width in each phase (empty: no pruning)."""
    adversarial: float = 0.0
    """Weight of a critic's adversarial and feature-matching terms (0: spectral losses
    only). With a critic both optimisers are AdamW (betas 0.8, 0.99) on their own
    exponential decay, as HiFi-GAN trains."""
    mel_weight: float = 0.0
    """Weight of HiFi-GAN's mel L1, which then replaces the multi-resolution STFT
    loss (HiFi-GAN's objective: 45, with ``adversarial`` 1); 0: the STFT loss."""
    critic_width: int = 32
    """The critic's base channels (HiFi-GAN's and UnivNet's: 32; compute grows with its square)."""
    critic_learning_rate: float = 2e-4
    """The critic's initial rate (HiFi-GAN's)."""
    lr_decay: float = 0.999
    """With a critic: both rates' factor per 1 000 steps (HiFi-GAN: 0.999 an epoch)."""
    judge_every: int = 0
    """Steps between held-out DNSMOS and WER points (0: none; needs the eval extra)."""
    corpus: int = 0
    """Train on the first N sentences of the training corpus instead of the calibration set."""
    istft_stages: int = 0
    """Last upsampling stages an inverse-STFT head replaces (0: none)."""
    shortest_fft: int = 512
    """The spectral loss's shortest STFT; sizes double from it to 2048."""

    def __post_init__(self) -> None:
        if self.quantize and (self.widths or self.istft_stages):
            raise ValueError(
                "prune or change the head first, then quantise that variant: not both at once"
            )
        if any(not 0 < w <= 1 for w in self.widths):
            raise ValueError(f"widths must be fractions in (0, 1], got {self.widths!r}")
        for name in ("adversarial", "mel_weight"):
            check_number(name, getattr(self, name), low=0.0, high=100.0, none=False)
        check_number("critic_learning_rate", self.critic_learning_rate, low=1e-8, high=1.0)
        check_number("lr_decay", self.lr_decay, low=0.5, high=1.0)
        check_int("critic_width", self.critic_width, low=1)
        check_int("judge_every", self.judge_every, low=0)
        check_int("corpus", self.corpus, low=0)
        for name in ("steps", "batch", "segment_frames", "draws", "checkpoint_every"):
            check_int(name, getattr(self, name), low=1)
        check_shortest_fft(self.shortest_fft)
        check_int("istft_stages", self.istft_stages, low=0)

    @classmethod
    def saved(cls, fields: dict[str, Any]) -> TrainSettings:
        """Settings as a checkpoint stores them (fields added later take their default)."""
        return cls(**{**fields, "widths": tuple(fields.get("widths", ()))})


@dataclass(frozen=True)
class FlowPriorSettings:
    """The flow and the text encoder a variant gets: the voice's own, or students
    distilled from them (:mod:`edgetts.train.flow`, :mod:`edgetts.train.prior`)."""

    flow_width: float = 1.0
    """Share of the flow's hidden channels kept (1: the voice's flow)."""
    flow_steps: int = 3000
    """Steps distilling a narrower flow."""
    prior_layers: int = 0
    """Text-encoder layers of a distilled prior (0: the voice's encoder, all its layers)."""
    prior_steps: int = 3000
    """Steps distilling that prior."""


@dataclass
class TrainState:
    """Where a decoder's training is: what a checkpoint resumes from."""

    step: int = 0
    phase: int = 0  # pruning phases applied
    keep: list[list[int]] = field(default_factory=list)  # teacher channels kept per stage
    seconds: float = 0.0
    curve: list[tuple[int, float]] = field(default_factory=list)  # (step, MCD dB)
    quality: list[tuple[int, float, float, float]] = field(
        default_factory=list
    )  # (step, held-out DNSMOS OVRL, SIG, WER %)
    losses: list[float] = field(default_factory=list)
    hardware: str = ""  # where the last steps ran
    schedule_start: int = 0  # the step the learning rate's cosine counts from
