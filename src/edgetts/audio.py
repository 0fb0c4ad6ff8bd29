"""Audio post-processing on float32 mono samples, backed by ``edgetts._core``.

Every function checks dtype, shape and contiguity here, then hands typed
memoryviews to a kernel that runs without the GIL. Functions that produce an
array accept ``out=`` so a caller can reuse its buffers; ``out`` may be the input
itself where the docstring says so.
"""

from __future__ import annotations

from functools import lru_cache
from math import gcd

import numpy as np
from numpy.typing import NDArray

from . import _core
from .config import check_int

__all__ = [
    "peak_gain",
    "resample",
    "resampled_length",
    "scale",
    "silence",
    "to_int16",
]

Float32Array = NDArray[np.float32]


def _samples(x: object, name: str = "samples") -> Float32Array:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype != np.float32:
        raise TypeError(f"{name} must be float32, got {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {x.shape}")
    return np.ascontiguousarray(x)


def _out(out: np.ndarray | None, length: int, dtype: type[np.generic]) -> np.ndarray:
    if out is None:
        return np.empty(length, dtype=dtype)
    if not isinstance(out, np.ndarray) or out.dtype != dtype or out.shape != (length,):
        got = f"{out.dtype} {out.shape}" if isinstance(out, np.ndarray) else type(out).__name__
        raise ValueError(f"out must be a {np.dtype(dtype)} array of shape ({length},), got {got}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be C-contiguous and writeable")
    return out


def peak_gain(samples: Float32Array, volume: float = 1.0) -> float:
    """The gain that brings the peak of ``samples`` to ``volume`` (NaN ignored);
    0 for silence, which stays silence."""
    top = _core.peak_abs(_samples(samples))
    return volume / top if top > 1e-8 else 0.0


def scale(
    samples: Float32Array, gain: float = 1.0, *, out: Float32Array | None = None
) -> Float32Array:
    """``samples`` times ``gain``, clipped to [-1, 1] (NaN becomes 0).

    ``out`` may be ``samples`` itself for in-place work.
    """
    x = _samples(samples)
    result = _out(out, len(x), np.float32)
    _core.scale_clip(x, gain, result)
    return result


def to_int16(
    samples: Float32Array,
    *,
    dither: bool = False,
    seed: int = 0,
    out: NDArray[np.int16] | None = None,
) -> NDArray[np.int16]:
    """float32 in [-1, 1] to 16-bit PCM, rounded and clipped (optional TPDF dither)."""
    x = _samples(samples)
    result = _out(out, len(x), np.int16)
    _core.to_int16(x, result, dither, seed & 0xFFFFFFFFFFFFFFFF)
    return result


@lru_cache(maxsize=16)
def _kaiser_lowpass(up: int, down: int) -> tuple[NDArray[np.float64], int]:
    """The filter ``scipy.signal.resample_poly`` designs by default (Kaiser, beta 5)."""
    max_rate = max(up, down)
    half_len = 10 * max_rate
    taps = 2 * half_len + 1
    m = np.arange(taps) - half_len
    cutoff = 1.0 / max_rate
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(taps, 5.0)
    h *= up / h.sum()
    # Pre-pad so the filter's delay is a whole number of output samples, then
    # drop those delayed samples from the output (as resample_poly does).
    pre_pad = down - half_len % down
    h = np.concatenate([np.zeros(pre_pad), h])
    return h, (half_len + pre_pad) // down


@lru_cache(maxsize=16)
def _polyphase(up: int, down: int) -> tuple[NDArray[np.float32], int]:
    """The low-pass split into ``up`` contiguous sub-filters: ``phases[p, m] = h[p + m * up]``."""
    h, delay = _kaiser_lowpass(up, down)
    taps = -(-len(h) // up)
    padded = np.zeros(taps * up)
    padded[: len(h)] = h
    phases = np.ascontiguousarray(padded.reshape(taps, up).T, dtype=np.float32)
    phases.setflags(write=False)
    return phases, delay


def resampled_length(length: int, from_rate: int, to_rate: int) -> int:
    """Number of samples ``resample`` returns (``ceil(length * to_rate / from_rate)``)."""
    check_int("from_rate", from_rate, low=1)
    check_int("to_rate", to_rate, low=1)
    g = gcd(from_rate, to_rate)
    up, down = to_rate // g, from_rate // g
    return -(-length * up // down)


def resample(
    samples: Float32Array, from_rate: int, to_rate: int, *, out: Float32Array | None = None
) -> Float32Array:
    """Polyphase resampling, equal to ``scipy.signal.resample_poly`` within 1e-5."""
    x = _samples(samples)
    n_out = resampled_length(len(x), from_rate, to_rate)
    result = _out(out, n_out, np.float32)
    if from_rate == to_rate:
        result[:] = x
        return result
    g = gcd(from_rate, to_rate)
    up, down = to_rate // g, from_rate // g
    phases, delay = _polyphase(up, down)
    _core.resample_poly(phases, x, result, up, down, delay)
    return result


def silence(seconds: float, sample_rate: int) -> Float32Array:
    return np.zeros(round(seconds * sample_rate), dtype=np.float32)
