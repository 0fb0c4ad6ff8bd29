"""The adversarial critic for student decoders: HiFi-GAN's multi-period
discriminator and Vocos's multi-resolution one, with least-squares losses.

Spectral losses alone leave a student's waveform slightly buzzy (its phase is
free), which DNSMOS hears; discriminators that learn to tell the student's
windows from the teacher's, and feature matching on their layers, push the
student towards the teacher's fine structure. The teacher's waveforms are the
"real" side, so no recorded speech is needed.

Proportions are the published ones, scaled by ``width`` (HiFi-GAN's and
Vocos's own: 32): the period discriminators' channels grow 1 -> w -> 4w ->
16w -> 32w -> 32w over strided (5, 1) convolutions (HiFi-GAN V1), and each
resolution discriminator runs w-channel (3, 9) convolutions over a magnitude
spectrogram (UnivNet's, which Vocos uses; FFT sizes 512, 1024, 2048, hop a
quarter). The CPU trains at a fraction of the width; the compute falls with its
square.
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import weight_norm

from ..config import check_int

__all__ = ["Critic"]

_SLOPE = 0.1
PERIODS = (2, 3, 5, 7, 11)
RESOLUTIONS = (512, 1024, 2048)  # FFT sizes of the resolution discriminators


def _features(convs: nn.ModuleList, post: nn.Module, x: Tensor) -> list[Tensor]:
    """Every layer's activations, the score (``post``) last."""
    features = []
    for conv in convs:
        x = F.leaky_relu(conv(x), _SLOPE)
        features.append(x)
    features.append(post(x))
    return features


class _PeriodDisc(nn.Module):
    """Looks at the waveform folded into ``period`` columns (2-D convolutions)."""

    def __init__(self, period: int, width: int) -> None:
        super().__init__()
        self.period = period
        channels = [1, width, 4 * width, 16 * width, 32 * width]
        layers = [
            nn.Conv2d(a, b, (5, 1), (3, 1), padding=(2, 0)) for a, b in itertools.pairwise(channels)
        ]
        layers.append(nn.Conv2d(channels[-1], channels[-1], (5, 1), padding=(2, 0)))
        self.convs = nn.ModuleList(weight_norm(conv) for conv in layers)
        self.post = weight_norm(nn.Conv2d(channels[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, x: Tensor) -> list[Tensor]:
        pad = (-x.shape[-1]) % self.period
        x = F.pad(x, (0, pad), mode="reflect")
        return _features(self.convs, self.post, x.view(x.shape[0], 1, -1, self.period))


class _ResolutionDisc(nn.Module):
    """UnivNet's resolution discriminator: 2-D convolutions over the magnitude of an
    ``n_fft``-point STFT, laid out (time, frequency), striding over frequency."""

    def __init__(self, n_fft: int, width: int) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        layers = [
            nn.Conv2d(1, width, (3, 9), padding=(1, 4)),
            *(nn.Conv2d(width, width, (3, 9), (1, 2), padding=(1, 4)) for _ in range(3)),
            nn.Conv2d(width, width, (3, 3), padding=(1, 1)),
        ]
        self.convs = nn.ModuleList(weight_norm(conv) for conv in layers)
        self.post = weight_norm(nn.Conv2d(width, 1, (3, 3), padding=(1, 1)))

    def forward(self, x: Tensor) -> list[Tensor]:
        window = self.get_buffer("window")
        spec = torch.stft(
            x[:, 0], self.n_fft, self.n_fft // 4, window=window, return_complex=True, center=True
        )
        magnitude = spec.abs().transpose(1, 2)[:, None]  # (batch, 1, frames, bins)
        return _features(self.convs, self.post, magnitude)


class Critic(nn.Module):
    """All discriminators, with the losses that train them and the student."""

    def __init__(self, width: int) -> None:
        """``width``: the base channels (TrainSettings.critic_width; published: 32)."""
        super().__init__()
        check_int("width", width, low=1)
        self.discs = nn.ModuleList(
            [
                *(_PeriodDisc(p, width) for p in PERIODS),
                *(_ResolutionDisc(n, width) for n in RESOLUTIONS),
            ]
        )

    def forward(self, audio: Tensor) -> list[list[Tensor]]:
        """Each discriminator's features, its score last; ``audio`` is (batch, samples)."""
        x = audio[:, None, :]
        return [disc(x) for disc in self.discs]

    def critic_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        """Least squares: teacher windows score 1, student windows 0."""
        loss = real.new_zeros(())
        for r, f in zip(self(real), self(fake.detach()), strict=True):
            loss = loss + torch.mean((r[-1] - 1) ** 2) + torch.mean(f[-1] ** 2)
        return loss

    def student_loss(self, real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
        """(adversarial, feature matching) terms for the student's windows."""
        with torch.no_grad():
            real_out = self(real)
        adversarial = fake.new_zeros(())
        matching = fake.new_zeros(())
        for r, f in zip(real_out, self(fake), strict=True):
            adversarial = adversarial + torch.mean((f[-1] - 1) ** 2)
            for rf, ff in zip(r[:-1], f[:-1], strict=True):
                matching = matching + F.l1_loss(ff, rf)
        return adversarial, matching
