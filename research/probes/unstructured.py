"""Unstructured magnitude pruning, measured honestly (no fine-tuning).

    python research/probes/unstructured.py [--sentences 10] > research/results/unstructured.md

For each sparsity, the smallest-magnitude weights of every Conv, ConvTranspose
and MatMul (the duration predictor excepted, as in every edgetts variant) are
set to zero, layer by layer. The model is then compared with the fp32 voice on
development sentences with noise 0: MCD-DTW and durations, the time of a warm
second pass on ONNX Runtime (dense kernels: zeros cost as much as any weight),
and the size after zlib compression, which is where sparsity pays on disk.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from edgetts import EdgeTTS
from edgetts.eval import dev_sentences
from edgetts.eval.fidelity import fidelity
from edgetts.eval.sysinfo import system_info

SPARSITIES = (0.3, 0.5, 0.7, 0.9)
_PRUNED_OPS = {"Conv": 1, "ConvTranspose": 1, "MatMul": 1}


def magnitude_prune(source: Path, target: Path, sparsity: float) -> None:
    model = onnx.load(str(source))
    values = {i.name: i for i in model.graph.initializer}
    for node in model.graph.node:
        index = _PRUNED_OPS.get(node.op_type)
        if index is None or node.name.startswith("/dp/") or len(node.input) <= index:
            continue
        init = values.get(node.input[index])
        if init is None:
            continue
        weight = numpy_helper.to_array(init).copy()
        if weight.size < 1024:
            continue
        cut = np.quantile(np.abs(weight), sparsity)
        weight[np.abs(weight) < cut] = 0.0
        init.CopyFrom(numpy_helper.from_array(weight, init.name))
    onnx.save(model, str(target))


def _timed(tts: EdgeTTS, text: str) -> tuple[float, np.ndarray]:
    tts.speak(text, noise_scale=0.0, noise_w=0.0)  # warm-up
    start = time.perf_counter()
    audio = tts.speak(text, noise_scale=0.0, noise_w=0.0).samples
    return time.perf_counter() - start, audio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=10)
    args = parser.parse_args()
    reference = EdgeTTS(backend="onnxruntime")
    source = reference.voice.model_path
    sentences = dev_sentences()[: args.sentences]
    packed = len(zlib.compress(source.read_bytes(), 6))
    info = system_info()
    cpu = f"{info['cpu']} ({info['usable_cores']} usable cores)"
    print(f"{cpu}; {len(sentences)} dev sentences, noise 0")
    print()
    print("| sparsity | zlib size vs fp32 zlib | time vs fp32 (ORT) | MCD dB | dur ratio min-max |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for sparsity in SPARSITIES:
            model = Path(tmp) / source.name
            magnitude_prune(source, model, sparsity)
            shutil.copyfile(f"{source}.json", f"{model}.json")
            pruned = EdgeTTS(model, backend="onnxruntime")
            ratios, mcd, durations = [], [], []
            for text in sentences:
                t_ref, a_ref = _timed(reference, text)
                t_new, a_new = _timed(pruned, text)
                ratios.append(t_new / t_ref)
                mcd.append(fidelity(a_new, a_ref, reference.sample_rate).mcd_db)
                durations.append(len(a_new) / len(a_ref))
            size = len(zlib.compress(model.read_bytes(), 6)) / packed
            print(
                f"| {sparsity:.0%} | {size:.0%} | {statistics.median(ratios):.2f} | "
                f"{statistics.fmean(mcd):.2f} | {min(durations):.3f}-{max(durations):.3f} |"
            )


if __name__ == "__main__":
    main()
