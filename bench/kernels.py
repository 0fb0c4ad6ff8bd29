"""Micro-benchmark: edgetts's compiled audio kernels vs their numpy equivalents.

    python bench/kernels.py [--seconds 10]

Works on ``--seconds`` of 22 050 Hz float32 audio and prints the median of 15
runs for each operation and the speed-up over numpy (and scipy where it has
the same operation).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from math import gcd

import numpy as np

from edgetts import audio
from edgetts.eval.sysinfo import system_info


def median_seconds(fn: Callable[[], object], runs: int = 15) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def numpy_resample(x: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """The same polyphase filter, vectorised the numpy way: gather taps, multiply, sum."""
    g = gcd(from_rate, to_rate)
    up, down = to_rate // g, from_rate // g
    phases, delay = audio._polyphase(up, down)
    taps = phases.shape[1]
    n_out = audio.resampled_length(len(x), from_rate, to_rate)
    t = (np.arange(n_out) + delay) * down
    newest = t // up
    padded = np.concatenate([np.zeros(taps, np.float32), x, np.zeros(taps, np.float32)])
    window = padded[taps + newest[:, None] - np.arange(taps)[None, :]]
    return np.einsum("km,km->k", window, phases[t % up])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(int(22050 * args.seconds)) * 0.3).astype(np.float32)
    out_f32 = np.empty_like(x)
    out_i16 = np.empty(len(x), dtype=np.int16)

    cases: list[
        tuple[str, Callable[[], object], Callable[[], object], Callable[[], object] | None]
    ] = [
        (
            "float32 -> int16",
            lambda: audio.to_int16(x, out=out_i16),
            lambda: np.clip(np.rint(x * 32767.0), -32768, 32767).astype(np.int16),
            None,
        ),
        (
            "peak normalise + clip",
            lambda: audio.scale(x, audio.peak_gain(x), out=out_f32),
            lambda: np.clip(x * (1.0 / np.abs(x).max()), -1.0, 1.0),
            None,
        ),
        (
            "resample 22050 -> 16000",
            lambda: audio.resample(x, 22050, 16000),
            lambda: numpy_resample(x, 22050, 16000),
            None,
        ),
        (
            "resample 22050 -> 48000",
            lambda: audio.resample(x, 22050, 48000),
            lambda: numpy_resample(x, 22050, 48000),
            None,
        ),
    ]
    try:
        from scipy.signal import resample_poly

        cases[2] = (*cases[2][:3], lambda: resample_poly(x, 320, 441))
        cases[3] = (*cases[3][:3], lambda: resample_poly(x, 320, 147))
    except ImportError:
        pass

    info = system_info()
    print(f"CPU: {info['cpu']} ({info['usable_cores']} usable cores); {args.seconds:g} s of audio")
    print(f"numpy {np.__version__}; medians of 15 runs\n")
    print("| operation | edgetts ms | numpy ms | speed-up | scipy ms |")
    print("|---|---|---|---|---|")
    for name, ours, numpy_fn, scipy_fn in cases:
        t_ours, t_np = median_seconds(ours), median_seconds(numpy_fn)
        t_sp = f"{1000 * median_seconds(scipy_fn):.2f}" if scipy_fn else "-"
        print(
            f"| {name} | {1000 * t_ours:.2f} | {1000 * t_np:.2f} | {t_np / t_ours:.1f}x | {t_sp} |"
        )


if __name__ == "__main__":
    main()
