"""Losses that compare a student's waveform with the teacher's: multi-resolution
STFT (spectral convergence + log magnitude) and log-mel L1 (the fidelity
judge's mel filters)."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from ..eval.fidelity import HOP, N_FFT, mel_filters

__all__ = ["SpectralLoss"]

RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))  # (fft size, hop)
_EPS = 1e-7


def _magnitude(x: Tensor, n_fft: int, hop: int) -> Tensor:
    window = torch.hann_window(n_fft, device=x.device)
    spec = torch.stft(x, n_fft, hop, window=window, return_complex=True, center=True)
    return spec.abs().clamp_min(_EPS)


class SpectralLoss(torch.nn.Module):
    def __init__(self, sample_rate: int, mel_weight: float = 1.0) -> None:
        super().__init__()
        filters = torch.from_numpy(mel_filters(sample_rate)).float()
        self.register_buffer("mel", filters)
        self.mel_weight = mel_weight

    def forward(self, student: Tensor, teacher: Tensor) -> Tensor:
        """Loss for waveforms of shape (batch, samples)."""
        loss = student.new_zeros(())
        for n_fft, hop in RESOLUTIONS:
            s, t = _magnitude(student, n_fft, hop), _magnitude(teacher, n_fft, hop)
            convergence = torch.linalg.norm(t - s) / torch.linalg.norm(t)
            loss = loss + convergence + F.l1_loss(torch.log(s), torch.log(t))
        loss = loss / len(RESOLUTIONS)
        s, t = _magnitude(student, N_FFT, HOP), _magnitude(teacher, N_FFT, HOP)
        mel = self.get_buffer("mel")
        log_s, log_t = (torch.log((mel @ m.pow(2)).clamp_min(_EPS)) for m in (s, t))
        return loss + self.mel_weight * F.l1_loss(log_s, log_t)
