"""Losses that compare a student's waveform with the teacher's: multi-resolution
STFT (spectral convergence + log magnitude) and log-mel L1 (the fidelity
judge's mel filters), and HiFi-GAN's mel L1 (:class:`MelLoss`) that its
adversarial objective weighs 45 to 1.

The STFT sizes run in octaves from ``shortest_fft`` to 2048 (hop a quarter of
the size). The 512-point default sees ~23 ms at once: blind to the shape of
each pitch period, which is where students trained on it lose DNSMOS's signal
score (the teacher's magnitude at 256 points with the student's phase keeps
most of it; the student's magnitude with the teacher's phase does not).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from ..eval.fidelity import HOP, N_FFT, mel_filters
from .settings import FFT_SIZES, TrainSettings, check_shortest_fft

__all__ = ["MelLoss", "SpectralLoss"]

LONGEST_FFT = 2048
_EPS = 1e-7


def _magnitude(x: Tensor, n_fft: int, hop: int) -> Tensor:
    window = torch.hann_window(n_fft, device=x.device)
    spec = torch.stft(x, n_fft, hop, window=window, return_complex=True, center=True)
    return spec.abs().clamp_min(_EPS)


class SpectralLoss(torch.nn.Module):
    def __init__(
        self,
        sample_rate: int,
        mel_weight: float = 1.0,
        shortest_fft: int = TrainSettings.shortest_fft,
    ) -> None:
        super().__init__()
        check_shortest_fft(shortest_fft)
        sizes = (*FFT_SIZES, 1024, LONGEST_FFT)
        self.resolutions = [(n, n // 4) for n in sizes if n >= shortest_fft]
        filters = torch.from_numpy(mel_filters(sample_rate)).float()
        self.register_buffer("mel", filters)
        self.mel_weight = mel_weight

    def forward(self, student: Tensor, teacher: Tensor) -> Tensor:
        """Loss for waveforms of shape (batch, samples)."""
        loss = student.new_zeros(())
        for n_fft, hop in self.resolutions:
            s, t = _magnitude(student, n_fft, hop), _magnitude(teacher, n_fft, hop)
            convergence = torch.linalg.norm(t - s) / torch.linalg.norm(t)
            loss = loss + convergence + F.l1_loss(torch.log(s), torch.log(t))
        loss = loss / len(self.resolutions)
        s, t = _magnitude(student, N_FFT, HOP), _magnitude(teacher, N_FFT, HOP)
        mel = self.get_buffer("mel")
        log_s, log_t = (torch.log((mel @ m.pow(2)).clamp_min(_EPS)) for m in (s, t))
        return loss + self.mel_weight * F.l1_loss(log_s, log_t)


class MelLoss(torch.nn.Module):
    """HiFi-GAN's mel loss: L1 between the log mel magnitudes (1024-point STFT, hop
    256, 80 bands, floor 1e-5). A log, so the filters' normalisation cancels."""

    def __init__(self, sample_rate: int) -> None:
        super().__init__()
        self.register_buffer("mel", torch.from_numpy(mel_filters(sample_rate)).float())

    def forward(self, student: Tensor, teacher: Tensor) -> Tensor:
        mel = self.get_buffer("mel")
        s, t = (
            torch.log((mel @ _magnitude(x, N_FFT, HOP)).clamp_min(1e-5)) for x in (student, teacher)
        )
        return F.l1_loss(s, t)
