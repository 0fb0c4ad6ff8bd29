"""A prior graph's call time when its input shape changes from call to call.

    python research/probes/prior_shapes.py PRIOR.onnx [PRIOR2.onnx ...]

Feeds 10 phoneme counts (71-160) the way sentences arrive: on OpenVINO padded
to their buckets (as the OpenVINO engine did) and cycling, then one shape
repeated; on ONNX Runtime unpadded, int8 weights folded as edgetts loads
them. Medians over 8 rounds, 2 threads.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edgetts.backends.onnxruntime_backend import weights_only_int8
from edgetts.streaming import bucket

LENGTHS = (71, 80, 90, 102, 110, 120, 135, 160, 95, 85)
ROUNDS = 8


def feeds(pad: bool) -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    out = []
    for length in LENGTHS:
        ids = np.zeros((1, bucket(length) if pad else length), np.int64)
        ids[0, :length] = rng.integers(1, 100, length)
        lengths = np.array([length], np.int64)
        out.append(
            {
                "input": ids,
                "input_lengths": lengths,
                "scales": np.array([0.667, 1.0, 0.8], np.float32),
            }
        )
    return out


def timed(
    run: Callable[[dict[str, Any]], object], inputs: list[dict[str, Any]]
) -> tuple[float, float]:
    """Median ms cycling through ``inputs``, and repeating the fourth."""
    for feed in inputs:
        run(feed)
    cycling, same = [], []
    for _ in range(ROUNDS):
        for feed in inputs:
            start = time.perf_counter()
            run(feed)
            cycling.append(time.perf_counter() - start)
        for _ in inputs:
            start = time.perf_counter()
            run(inputs[3])
            same.append(time.perf_counter() - start)
    return 1e3 * float(np.median(cycling)), 1e3 * float(np.median(same))


def main(paths: list[str]) -> None:
    import onnxruntime as ort
    import openvino as ov

    core = ov.Core()
    config = {
        "INFERENCE_NUM_THREADS": 2,
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": "f32",
    }
    print("| graph | runtime | shapes cycling ms | one shape ms |\n|---|---|---|---|")
    for path in paths:
        request = core.compile_model(path, "CPU", config).create_infer_request()
        graph_options = ort.SessionOptions()
        graph_options.intra_op_num_threads = 2
        if weights_only_int8(Path(path)):  # as the adapter loads it: weights folded at load
            graph_options.add_session_config_entry("session.disable_quant_qdq", "1")
        session = ort.InferenceSession(path, graph_options, providers=["CPUExecutionProvider"])
        for name, run, pad in (
            ("openvino", request.infer, True),
            ("onnxruntime", functools.partial(session.run, None), False),
        ):
            cycling, same = timed(run, feeds(pad))
            print(f"| {path} | {name} | {cycling:.1f} | {same:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
