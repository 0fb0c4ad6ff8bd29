"""Int8 weights on ONNX Runtime: dequantised on every call, or folded at load.

    edgetts optimize ptq --preset weights      # the int8-weights variant, if not built
    python research/probes/int8_weights_fold.py [--rounds 7]

The fp32 voice and the ``int8-weights`` variant speak 16 development sentences
in turns (a warm-up first); the variant runs twice, once as the ONNX Runtime
adapter loads it (its weights' ``DequantizeLinear`` folded into float weights
at load) and once with that rule turned off (dequantised on every call). The
medians are milliseconds per second of audio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import edgetts.backends.onnxruntime_backend as adapter
from edgetts import EdgeTTS
from edgetts.eval import dev_sentences
from edgetts.eval.sysinfo import system_info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    texts = dev_sentences()[:16]
    engines = {
        "fp32": EdgeTTS(backend="onnxruntime", variant="fp32", threads=2),
        "int8-weights, folded at load": EdgeTTS(
            backend="onnxruntime", variant="int8-weights", threads=2
        ),
    }
    rule = adapter.weights_only_int8
    adapter.weights_only_int8 = lambda path: False
    engines["int8-weights, every call"] = EdgeTTS(
        backend="onnxruntime", variant="int8-weights", threads=2
    )
    adapter.weights_only_int8 = rule
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    for tts in engines.values():
        tts.speak(texts[0])
    for _ in range(args.rounds):
        for name, tts in engines.items():
            audio, start = 0.0, time.perf_counter()
            for text in texts:
                audio += tts.speak(text).duration
            seconds[name].append((time.perf_counter() - start) / audio)
    info = system_info()
    print(f"{info['cpu']}, {info['usable_cores']} usable cores; {info['versions']}")
    print(f"16 development sentences, median of {args.rounds} interleaved rounds, 2 threads.\n")
    print("| engine | ms per audio s | time vs fp32 |")
    print("|---|---|---|")
    base = statistics.median(seconds["fp32"])
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"| {name} | {1000 * median:.1f} | {median / base:.3f} |")


if __name__ == "__main__":
    main()
