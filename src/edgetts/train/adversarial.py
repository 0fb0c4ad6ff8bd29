"""An adversarial critic for student decoders: HiFi-GAN's multi-period and
multi-scale discriminators, narrowed to train on a CPU.

Spectral losses alone leave a student's waveform slightly buzzy (its phase is
free), which DNSMOS hears; a discriminator that learns to tell the student's
windows from the teacher's, and feature matching on its layers, push the
student towards the teacher's fine structure. The teacher's waveforms are the
"real" side, so no recorded speech is needed. Least-squares GAN losses.
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import weight_norm

__all__ = ["Critic"]

_SLOPE = 0.1
PERIODS = (2, 3, 5, 7, 11)
SCALES = 3  # the waveform, then average-pooled by 2 and by 4


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
        channels = [1, width, 2 * width, 4 * width, 8 * width]
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(a, b, (5, 1), (3, 1), padding=(2, 0)))
            for a, b in itertools.pairwise(channels)
        )
        self.post = weight_norm(nn.Conv2d(channels[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, x: Tensor) -> list[Tensor]:
        pad = (-x.shape[-1]) % self.period
        x = F.pad(x, (0, pad), mode="reflect")
        return _features(self.convs, self.post, x.view(x.shape[0], 1, -1, self.period))


class _ScaleDisc(nn.Module):
    """Strided, grouped 1-D convolutions over the (pooled) waveform."""

    def __init__(self, width: int) -> None:
        super().__init__()
        layers = [
            nn.Conv1d(1, width, 15, 1, padding=7),
            nn.Conv1d(width, 2 * width, 41, 4, groups=4, padding=20),
            nn.Conv1d(2 * width, 4 * width, 41, 4, groups=16, padding=20),
            nn.Conv1d(4 * width, 4 * width, 41, 4, groups=16, padding=20),
            nn.Conv1d(4 * width, 4 * width, 5, 1, padding=2),
        ]
        self.convs = nn.ModuleList(weight_norm(conv) for conv in layers)
        self.post = weight_norm(nn.Conv1d(4 * width, 1, 3, 1, padding=1))

    def forward(self, x: Tensor) -> list[Tensor]:
        return _features(self.convs, self.post, x)


class Critic(nn.Module):
    """All discriminators, with the losses that train them and the student."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        if width < 8 or width % 8:
            raise ValueError(f"width must be a multiple of 8 (grouped convolutions), got {width}")
        self.discs = nn.ModuleList(
            [*(_PeriodDisc(p, width) for p in PERIODS), *(_ScaleDisc(width) for _ in range(SCALES))]
        )

    def forward(self, audio: Tensor) -> list[list[Tensor]]:
        """Each discriminator's features, its score last; ``audio`` is (batch, samples)."""
        x = audio[:, None, :]
        out = []
        scale = 0
        for disc in self.discs:
            if isinstance(disc, _ScaleDisc):
                pooled = F.avg_pool1d(x, 2**scale, 2**scale) if scale else x
                out.append(disc(pooled))
                scale += 1
            else:
                out.append(disc(x))
        return out

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
