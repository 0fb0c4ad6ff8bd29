"""The prior graph without random ops: its noise comes in from outside.

Piper's export draws noise inside the graph twice (``RandomNormalLike``): for
the duration predictor, shaped like the phoneme ids, and for the prior sample
``z_p = mean + noise * std * noise_scale``, shaped like the frames, which are
only known once the durations are. Runtimes without random ops (TensorRT) and
reproducible runs need both from outside. This surgery makes the duration
noise a graph input and cuts the graph before the second draw, returning the
prior's mean and standard deviation so the caller forms ``z_p`` with its own
noise (:func:`prior_sample`). With the same noise, the result equals the
original graph's (tested against the noise the original graph drew).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import ModelLoadError
from ..split import cut_points

__all__ = ["HostNoisePrior", "host_noise_prior", "prior_sample"]


@dataclass(frozen=True)
class HostNoisePrior:
    path: Path
    inputs: tuple[str, ...]  # the voice's own inputs, then the duration noise
    duration_noise: str  # standard normal, shape (1, 2, number of ids)
    mean: str  # (1, channels, frames)
    std: str  # (1, channels, frames)
    mask: str
    durations: str


def host_noise_prior(model_path: Path, target: Path) -> HostNoisePrior:
    """Write the noise-free prior of the voice ``model_path`` to ``target``."""
    import onnx
    from onnx.utils import extract_model

    graph = onnx.load(str(model_path), load_external_data=False).graph
    draws = [n for n in graph.node if n.op_type in ("RandomNormal", "RandomNormalLike")]
    in_dp = [n for n in draws if n.name.startswith("/dp/")]
    outside = [n for n in draws if not n.name.startswith("/dp/")]
    consumers = [n for n in graph.node if outside and outside[0].output[0] in n.input]
    if len(in_dp) != 1 or len(outside) != 1 or len(consumers) != 1:
        raise ModelLoadError(
            f"model {model_path}: expected one noise draw in the duration predictor and one "
            f"for the prior sample, found {[n.name for n in draws]}"
        )
    scaled = consumers[0]  # noise * std
    std = next(name for name in scaled.input if name != outside[0].output[0])
    mean = outside[0].input[0]  # RandomNormalLike(mean): shaped like the mean
    cut, inputs = cut_points(model_path)
    duration_noise = in_dp[0].output[0]
    outputs = [mean, std, cut["mask"], cut["durations"]]
    extract_model(str(model_path), str(target), [*inputs, duration_noise], outputs)
    return HostNoisePrior(
        target, (*inputs, duration_noise), duration_noise, mean, std, cut["mask"], cut["durations"]
    )


def prior_sample(
    mean: NDArray[np.float32], std: NDArray[np.float32], noise: NDArray[np.float32], scale: float
) -> NDArray[np.float32]:
    """``z_p`` as the original graph forms it, from the caller's standard normal ``noise``."""
    if noise.shape != mean.shape:
        raise ValueError(f"noise has shape {noise.shape}; the prior's mean has {mean.shape}")
    sample: NDArray[np.float32] = mean + noise * std * np.float32(scale)
    return sample
