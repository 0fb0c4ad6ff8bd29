"""The decoder graphs alone: student decoders against the voice's own.

    python research/probes/decoder_speed.py distill distill-istft [--frames 250] [--repeats 9]

Each stored variant's ``decoder.onnx`` (float ones; int8 decoders run on their
own backend only) and the fp32 voice's decode the same random latents of
``--frames`` frames (250 frames ~ 2.9 s of audio at hop 256) on ONNX Runtime and
OpenVINO (f32), two threads. The graphs take turns, a warm-up call each first;
the table gives each one's median and the ratio of medians to the teacher's.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edgetts.eval.sysinfo import system_info
from edgetts.split import split_voice
from edgetts.variants import load_variant
from edgetts.voice import Voice

Runner = Callable[[], object]


def _ort(path: Path, feed: np.ndarray) -> Runner:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda: session.run(None, {name: feed})


def _openvino(path: Path, feed: np.ndarray) -> Runner:
    import openvino as ov

    config = {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": 2}
    compiled = ov.Core().compile_model(str(path), "CPU", config)
    return lambda: compiled(feed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="+")
    parser.add_argument("--voice", default=None)
    parser.add_argument("--frames", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    voice = Voice.load(args.voice)
    graphs = {"teacher (fp32)": split_voice(voice.model_path).decoder}
    graphs |= {name: load_variant(voice, name).split.decoder for name in args.variants}
    feed = np.random.default_rng(0).standard_normal((1, 192, args.frames)).astype(np.float32)
    runners = {
        (name, backend): make(path, feed)
        for name, path in graphs.items()
        for backend, make in (("onnxruntime", _ort), ("openvino", _openvino))
    }
    times: dict[tuple[str, str], list[float]] = {key: [] for key in runners}
    for run in runners.values():
        run()
    for _ in range(args.repeats):
        for key, run in runners.items():
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
    info = system_info()
    print(f"{info['cpu']}, {info['usable_cores']} usable cores; {info['versions']}")
    print(f"Decoder graphs alone, {args.frames} frames, median of {args.repeats}, 2 threads.\n")
    print("| decoder | MB | ONNX Runtime ms | x faster | OpenVINO ms | x faster |")
    print("|---|---|---|---|---|---|")
    base = {b: statistics.median(times["teacher (fp32)", b]) for b in ("onnxruntime", "openvino")}
    for name, path in graphs.items():
        cells = []
        for backend in ("onnxruntime", "openvino"):
            median = statistics.median(times[name, backend])
            cells += [f"{1000 * median:.1f}", f"{base[backend] / median:.2f}"]
        print(f"| {name} | {path.stat().st_size / 1e6:.1f} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
