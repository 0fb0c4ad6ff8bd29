"""Which int8 layout of the decoder each runtime runs fast (speed only, not quality).

    python research/probes/int8_layouts.py [DECODER.onnx]
    ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI python research/probes/int8_layouts.py

Quantizes the polyphase decoder (default: the stored ``fast`` variant's) with
ONNX Runtime's static QDQ quantizer in two layouts, both with per-channel int8
weights and Q/DQ on every convolution's input and output: uint8 activations
with a zero point (what edgetts's QAT trains today) and symmetric int8
activations (zero point 0). Random latents calibrate it: the audio is
meaningless; only the kernels chosen matter. Times one 272-frame window (the
OpenVINO engine's largest, with its context) on OpenVINO (f32 hint: int8 where
the graph says so) and ONNX Runtime, 2 threads, medians of 10.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

FRAMES = 272
CHANNELS = 192


def quantize(source: Path, folder: Path) -> dict[str, Path]:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    rng = np.random.default_rng(0)

    class Latents(CalibrationDataReader):
        def __init__(self, name: str) -> None:
            shape = (1, CHANNELS, 80)
            self.feeds = iter([{name: rng.standard_normal(shape, np.float32)} for _ in range(4)])

        def get_next(self) -> dict[str, Any] | None:
            return next(self.feeds, None)

    name = _input_name(source)
    layouts = {"u8 + zero point": QuantType.QUInt8, "s8 symmetric": QuantType.QInt8}
    paths = {}
    for label, activations in layouts.items():
        target = folder / f"{activations.name}.onnx"
        quantize_static(
            str(source),
            str(target),
            Latents(name),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=activations,
            weight_type=QuantType.QInt8,
            extra_options={"ActivationSymmetric": activations == QuantType.QInt8},
        )
        paths[label] = target
    return paths


def _input_name(path: Path) -> str:
    import onnx

    return str(onnx.load(str(path), load_external_data=False).graph.input[0].name)


def _median_ms(run: Callable[[], object]) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(10):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main(source: Path) -> None:
    import onnxruntime as ort
    import openvino as ov

    name = _input_name(source)
    latent = {name: np.random.default_rng(1).standard_normal((1, CHANNELS, FRAMES), np.float32)}
    core = ov.Core()
    config = {"INFERENCE_NUM_THREADS": 2, "INFERENCE_PRECISION_HINT": "f32"}
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "all (default)")
    print(
        f"ONEDNN_MAX_CPU_ISA: {isa}\n\n| decoder | OpenVINO ms | ONNX Runtime ms |\n|---|---|---|"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in {"fp32": source, **quantize(source, Path(tmp))}.items():
            model = core.read_model(str(path))
            model.reshape({name: [1, CHANNELS, FRAMES]})
            request = core.compile_model(model, "CPU", config).create_infer_request()
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            openvino_ms = _median_ms(lambda r=request: r.infer(latent))
            ort_ms = _median_ms(lambda s=session: s.run(None, latent))
            print(f"| {label} | {openvino_ms:.1f} | {ort_ms:.1f} |")


if __name__ == "__main__":
    default = Path.home() / ".cache/edgetts/models/en_US-joe-medium/fast/decoder.onnx"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
