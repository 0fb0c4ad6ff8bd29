"""Distance of a variant's audio from the reference (fp32) voice's, on the same text.

- MCD-DTW: mel-cepstral distortion (Kubichek's dB formula on log-amplitude mel
  cepstra, coefficients 1-24, energy c0 left out) averaged over the frames
  paired by dynamic time warping (``edgetts._core.dtw``), so small timing
  differences are not counted as spectral ones.
- LSD: log-spectral distance in dB over the same frame pairs.
- duration ratio: variant length / reference length.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .. import _core

__all__ = ["Fidelity", "fidelity", "mel_cepstrum", "mel_filters"]

N_FFT = 1024
HOP = 256
N_MELS = 80
N_CEPS = 24
_MCD_SCALE = 10.0 / np.log(10.0) * np.sqrt(2.0)
_FLOOR = 1e-10


@dataclass(frozen=True)
class Fidelity:
    mcd_db: float
    lsd_db: float
    duration_ratio: float

    def to_dict(self) -> dict[str, float]:
        return {"mcd_db": self.mcd_db, "lsd_db": self.lsd_db, "duration_ratio": self.duration_ratio}


def _power_spectrogram(x: NDArray[np.float32]) -> NDArray[np.float64]:
    if len(x) < N_FFT:
        x = np.pad(x, (0, N_FFT - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), N_FFT)[::HOP]
    power: NDArray[np.float64] = np.abs(np.fft.rfft(frames * np.hanning(N_FFT), axis=1)) ** 2
    return power


@lru_cache(maxsize=8)
def mel_filters(sample_rate: int) -> NDArray[np.float64]:
    def hz_to_mel(f: NDArray[np.float64]) -> NDArray[np.float64]:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    edges = 700.0 * (
        10 ** (np.linspace(0, hz_to_mel(np.array(sample_rate / 2)), N_MELS + 2) / 2595.0) - 1
    )
    bins = np.fft.rfftfreq(N_FFT, 1.0 / sample_rate)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    filters: NDArray[np.float64] = np.maximum(0.0, np.minimum(rising, falling))
    return filters


@lru_cache(maxsize=2)
def _dct_matrix() -> NDArray[np.float64]:
    """DCT-II scaled like a real cepstrum (2/N, as an inverse transform of the log
    spectrum), so the Kubichek constant gives dB comparable to SPTK-style MCD."""
    k = np.arange(N_MELS)
    basis: NDArray[np.float64] = np.cos(np.pi / N_MELS * (k[None, :] + 0.5) * k[:, None])
    return basis * (2.0 / N_MELS)


def mel_cepstrum(x: NDArray[np.float32], sample_rate: int) -> NDArray[np.float64]:
    """Frames x coefficients 1..24 of the log-amplitude mel cepstrum."""
    mel = _power_spectrogram(x) @ mel_filters(sample_rate).T
    log_amplitude = 0.5 * np.log(np.maximum(mel, _FLOOR))
    cepstrum: NDArray[np.float64] = (log_amplitude @ _dct_matrix().T)[:, 1 : N_CEPS + 1]
    return cepstrum


def _dtw_pairs(
    a: NDArray[np.float64], b: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    sq = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2.0 * a @ b.T
    dist = np.ascontiguousarray(np.sqrt(np.maximum(sq, 0.0)))
    acc = np.empty_like(dist)
    path_i = np.empty(len(a) + len(b), dtype=np.int64)
    path_j = np.empty_like(path_i)
    _, length = _core.dtw(dist, acc, path_i, path_j)
    return path_i[:length], path_j[:length]


def fidelity(
    variant: NDArray[np.float32], reference: NDArray[np.float32], sample_rate: int
) -> Fidelity:
    """MCD-DTW, LSD and duration ratio of ``variant`` against ``reference``."""
    if len(variant) == 0 or len(reference) == 0:
        raise ValueError("fidelity needs non-empty audio on both sides")
    ceps_v, ceps_r = mel_cepstrum(variant, sample_rate), mel_cepstrum(reference, sample_rate)
    i, j = _dtw_pairs(ceps_v, ceps_r)
    mcd = float(np.mean(_MCD_SCALE * np.sqrt(((ceps_v[i] - ceps_r[j]) ** 2).sum(axis=1))))
    db_v = 10.0 * np.log10(np.maximum(_power_spectrogram(variant), _FLOOR))
    db_r = 10.0 * np.log10(np.maximum(_power_spectrogram(reference), _FLOOR))
    lsd = float(np.mean(np.sqrt(((db_v[i] - db_r[j]) ** 2).mean(axis=1))))
    return Fidelity(mcd_db=mcd, lsd_db=lsd, duration_ratio=len(variant) / len(reference))
