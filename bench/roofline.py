"""How far each graph is from this CPU's limit: GMAC per second of audio, the
GFLOP/s it reaches, and the peak the same runtime reaches on one large convolution.

    python bench/roofline.py [--variants fp32 fast] [--sentences 8] [--markdown FILE]

MACs are counted from the shapes each Conv, ConvTranspose and MatMul actually
sees on the development sentences (the graphs are run with those tensors
exposed as outputs, since VITS's frame counts depend on the predicted
durations). The peak is a 256-channel, kernel-7 convolution over 8192 frames:
dense, cache-friendly work that each runtime's best kernel handles. A graph far
below that peak is held back by its many small ops (dispatch, memory traffic),
not by arithmetic.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from edgetts import EdgeTTS, available_backends
from edgetts.eval import dev_sentences
from edgetts.eval.sysinfo import cpu_model, package_versions
from edgetts.files import write_atomic
from edgetts.hardware import reported_features
from edgetts.split import GRAPHS
from edgetts.streaming import PriorOutput, SplitModel

_COUNTED = ("Conv", "ConvTranspose", "MatMul")


def _exposed(path: Path, folder: Path) -> tuple[Path, list[tuple[str, str, str, str]]]:
    """A copy of the graph whose counted ops' inputs, weights and outputs are outputs."""
    model = onnx.load(str(path))
    counted = []
    names = {o.name for o in model.graph.output}
    for node in model.graph.node:
        if node.op_type in _COUNTED:
            counted.append((node.op_type, node.input[0], node.input[1], node.output[0]))
            for tensor in (node.input[0], node.input[1], node.output[0]):
                if tensor not in names:
                    model.graph.output.append(helper.make_empty_tensor_value_info(tensor))
                    names.add(tensor)
    target = folder / path.name
    onnx.save(model, str(target))
    return target, counted


def _macs(op: str, x: tuple[int, ...], w: tuple[int, ...], y: tuple[int, ...]) -> int:
    if op == "MatMul":  # (..., M, K) x (..., K, N): each output sums K products
        return int(np.prod(y)) * x[-1]
    if op == "Conv":  # weight (C_out, C_in/groups, K): each output sums C_in/groups * K
        return int(np.prod(y)) * w[1] * w[2]
    # ConvTranspose, weight (C_in, C_out/groups, K): every input sample meets every tap
    return int(np.prod(x)) * w[1] * w[2]


def count_macs(graph: Any, counted: list[tuple[str, str, str, str]], inputs: dict[str, Any]) -> int:
    outputs = dict(zip(graph.outputs, graph.run(inputs), strict=True))
    shapes = {name: tuple(np.shape(value)) for name, value in outputs.items()}
    return sum(_macs(op, shapes[x], shapes[w], shapes[y]) for op, x, w, y in counted)


def _timed(run: Callable[[], Any], repeats: int = 5) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_gflops(backend: str, precision: str) -> float:
    """GFLOP/s of one large dense convolution on ``backend`` at ``precision``."""
    from edgetts.backends import BackendOptions, load_graph

    rng = np.random.default_rng(0)
    channels, kernel, frames = 256, 7, 8192
    weight = rng.standard_normal((channels, channels, kernel)).astype(np.float32) * 0.05
    node = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[kernel], pads=[3, 3])
    model = helper.make_model(
        helper.make_graph(
            [node],
            "peak",
            [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, channels, frames])],
            [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
            [numpy_helper.from_array(weight, "w")],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "peak.onnx"
        onnx.save(model, str(path))
        graph = load_graph(backend, path, BackendOptions(precision=precision))
        x = rng.standard_normal((1, channels, frames)).astype(np.float32)
        seconds = _timed(lambda: graph.run({"x": x}))
    return 2 * channels * channels * kernel * frames / seconds / 1e9


def _feeds(model: SplitModel, prior: PriorOutput) -> dict[str, dict[str, Any]]:
    z = model.latent(prior, prior.z_p.shape[2])
    return {
        "flow": {model.split.z_p: prior.z_p, model.split.mask: prior.mask},
        "decoder": {model.split.z: z},
    }


def measure(variant: str, backend: str, sentences: list[str]) -> list[dict[str, Any]]:
    from edgetts.backends import BackendOptions, load_graph

    tts = EdgeTTS(backend=backend, variant=variant)
    model = tts._split_model()
    scales = np.array([0.0, 1.0, 0.0], np.float32)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        macs = dict.fromkeys(GRAPHS, 0)
        seconds = dict.fromkeys(GRAPHS, 0.0)
        audio = 0.0
        for text in sentences:
            for sentence in tts.phonemize(text):
                ids = tts._ids(sentence)
                prior_feed = {
                    "input": ids,
                    "input_lengths": np.array([ids.shape[1]], np.int64),
                    "scales": scales,
                }
                prior = model.run_prior(ids, scales, None)
                feeds = {"prior": prior_feed, **_feeds(model, prior)}
                audio += prior.z_p.shape[2] * (model.hop or 256) / tts.sample_rate
                for name in GRAPHS:
                    path = getattr(model.split, name)
                    exposed, counted = _exposed(path, Path(tmp))
                    counter = load_graph("onnxruntime", exposed, BackendOptions())
                    macs[name] += count_macs(counter, counted, feeds[name])
                    graph = getattr(model, name)
                    seconds[name] += _timed(lambda g=graph, f=feeds[name]: g.run(f), repeats=3)
        for name in GRAPHS:
            rows.append(
                {
                    "variant": variant,
                    "backend": backend,
                    "graph": name,
                    "runs_on": model.graph_backends[name],
                    "precision": model.precisions[name],
                    "gmac_per_audio_s": macs[name] / audio / 1e9,
                    "ms_per_audio_s": 1000 * seconds[name] / audio,
                    "gflops": 2 * macs[name] / seconds[name] / 1e9,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=["fp32", "fast"])
    parser.add_argument("--sentences", type=int, default=8)
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args()
    sentences = dev_sentences()[: args.sentences]
    backends = available_backends()
    peaks = {
        (b, p): peak_gflops(b, p)
        for b in backends
        for p in (("fp32", "bf16") if b == "openvino" else ("fp32",))
    }
    rows = [r for v in args.variants for b in backends for r in measure(v, b, sentences)]
    versions = package_versions(("onnxruntime", "openvino"))
    lines = [
        f"CPU: {cpu_model()} ({' '.join(reported_features())}); "
        + ", ".join(f"{k} {v}" for k, v in versions.items() if v)
        + f"; {len(sentences)} development sentences, noise 0, runtime default threads",
        "",
        "Peak (one 256-channel kernel-7 convolution, 8192 frames): "
        + ", ".join(f"{b} {p} {g:.0f} GFLOP/s" for (b, p), g in peaks.items()),
        "",
        "| variant | backend | graph | runs on | precision | GMAC per audio s | ms per audio s "
        "| GFLOP/s | % of peak |",
        "|" + "---|" * 9,
    ]
    for r in rows:
        runtime = r["runs_on"]
        peak = peaks.get((runtime, r["precision"]), peaks[(runtime, "fp32")])
        lines.append(
            f"| {r['variant']} | {r['backend']} | {r['graph']} | {runtime} | {r['precision']} | "
            f"{r['gmac_per_audio_s']:.2f} | {r['ms_per_audio_s']:.1f} | {r['gflops']:.0f} | "
            f"{100 * r['gflops'] / peak:.0f}% |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        write_atomic(args.markdown, text.encode())
        print(f"wrote {args.markdown}", file=sys.stderr)


if __name__ == "__main__":
    main()
