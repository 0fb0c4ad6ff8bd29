"""The decoder graphs alone: student decoders against the voice's own.

    python research/probes/decoder_speed.py distill distill-istft [--frames 250] [--repeats 9]
    python research/probes/decoder_speed.py distill-gan --profile   # where the time goes

Each stored variant's ``decoder.onnx`` (float ones; int8 decoders run on their
own backend only) and the fp32 voice's decode the same random latents of
``--frames`` frames (250 frames ~ 2.9 s of audio at hop 256) on ONNX Runtime and
OpenVINO (f32), two threads. The graphs take turns, a warm-up call each first;
the table gives each one's median and the ratio of medians to the teacher's.
``--profile`` then runs each decoder under ONNX Runtime's profiler and prints
the share of its node time per operator type and per module (``/dec/ups.1``,
``/dec/resblocks.4``; nodes the export named otherwise, such as an
inverse-STFT head's, under their own names).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
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


def _profile(name: str, path: Path, feed: np.ndarray, repeats: int) -> None:
    """ONNX Runtime's node times for ``path``, by operator type and by node."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.enable_profiling = True
    with tempfile.TemporaryDirectory() as folder:
        options.profile_file_prefix = str(Path(folder) / "decoder")
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        feeds = {session.get_inputs()[0].name: feed}
        for _ in range(repeats + 1):
            session.run(None, feeds)
        events = json.loads(Path(session.end_profiling()).read_text(encoding="utf-8"))
    by_op, by_node = Counter[str](), Counter[str]()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            by_op[event["args"]["op_name"]] += event["dur"]
            # The module: the node's path up to its second part (/dec/ups.1, /dec/head).
            module = "/".join(event["name"].removesuffix("_kernel_time").split("/")[:3])
            by_node[module] += event["dur"]
    total = sum(by_op.values()) or 1
    per_call = total / (repeats + 1) / 1000
    print(f"\n{name}: ONNX Runtime node time by operator ({per_call:.1f} ms a call)\n")
    print("| operator | share |")
    print("|---|---|")
    for op, dur in by_op.most_common():
        print(f"| {op} | {100 * dur / total:.1f}% |")
    print("\n| module | share |")
    print("|---|---|")
    for node, dur in by_node.most_common():
        print(f"| `{node}` | {100 * dur / total:.1f}% |")


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
    parser.add_argument("--profile", action="store_true", help="ONNX Runtime node times too")
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
    if args.profile:
        for name, path in graphs.items():
            _profile(name, path, feed, args.repeats)


if __name__ == "__main__":
    main()
