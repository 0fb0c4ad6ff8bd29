"""The figures a variant's manifest records right after it is built.

A quick, in-process look (the benchmark is the full report): each sentence is
synthesised with noise 0 by the variant and by the fp32 voice on ONNX Runtime,
once to warm up (OpenVINO compiles per shape) and once timed, interleaved.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backends import BackendOptions
from ..config import SynthesisConfig
from ..eval.fidelity import fidelity
from ..phonemize import phonemize
from ..split import SplitVoice
from ..streaming import SplitModel
from ..voice import Voice

__all__ = ["check_variant"]


def check_variant(
    voice: Voice, split: SplitVoice, backend: str, sentences: Sequence[str]
) -> dict[str, Any]:
    """MCD-DTW, duration ratios and time ratio of ``split`` on ``backend`` vs fp32 ORT."""
    options = BackendOptions()
    reference = SplitModel.of_voice(voice.model_path, "onnxruntime", options)
    variant = SplitModel(split, backend, options)
    noise_off = SynthesisConfig(noise_scale=0.0, noise_w=0.0).scales(voice.config)
    scales = np.array(noise_off, dtype=np.float32)
    mcd, durations, time_ratios = [], [], []
    rate = voice.config.sample_rate
    for text in sentences:
        for sentence in phonemize(text, voice.config.espeak_voice):
            ids = voice.id_mapper(sentence.phonemes).ids[np.newaxis, :]
            seconds, audio = [], []
            for model in (reference, variant):
                model.infer(ids, scales, None)  # warm-up
                start = time.perf_counter()
                audio.append(np.array(model.infer(ids, scales, None)))
                seconds.append(time.perf_counter() - start)
            mcd.append(fidelity(audio[1], audio[0], rate).mcd_db)
            durations.append(len(audio[1]) / len(audio[0]))
            time_ratios.append(seconds[1] / seconds[0])
    return {
        "sentences": len(mcd),
        "backend": backend,
        "mcd_db_mean": statistics.fmean(mcd),
        "duration_ratio_min": min(durations),
        "duration_ratio_max": max(durations),
        "time_ratio_vs_fp32_onnxruntime_median": statistics.median(time_ratios),
    }
