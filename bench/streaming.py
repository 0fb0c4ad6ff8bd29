"""Time to first audio with in-sentence streaming, against whole-sentence synthesis.

    python bench/streaming.py [--chunk-ms 100] [--repeats 5] [--quality]
                              [--variants int8-qat/openvino ...]

For the dev sentences of 15 words or more and one 40-word sentence (the
issue's yardstick, written for this bench), interleaved in one run: piper-tts's
full-sentence latency (its first audio), edgetts's first chunk with
``stream(chunk_ms=...)`` per backend (also with ``fast_start``: the first
clause synthesised alone), and the total streamed time against ``speak()`` of
the same sentence. Noise 0, so every engine does the same work. ``--variants``
adds stored variants (``NAME/BACKEND``) to the fp32 voice on each backend.

``--quality`` adds what ``fast_start`` costs: whisper's WER and DNSMOS of the
dev sentences that have several clauses, whole against first-clause-first
(ONNX Runtime, noise 0).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from edgetts import EdgeTTS, available_backends
from edgetts.eval import dev_sentences
from edgetts.eval.sysinfo import system_info

FORTY_WORDS = (
    "After the long meeting ended, the engineers walked slowly back to the lab, where they "
    "spent the rest of the afternoon testing the new speech engine on every small device they "
    "could find, from old phones to tiny toy robots."
)


def timed(chunks: Iterable[object]) -> tuple[float, float]:
    """(seconds to the first item, seconds to the end)."""
    start = time.perf_counter()
    first = None
    for _ in chunks:
        first = time.perf_counter() - start if first is None else first
    total = time.perf_counter() - start
    return (total if first is None else first), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunk-ms", type=float, default=100.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quality", action="store_true", help="WER/DNSMOS of fast_start")
    parser.add_argument(
        "--variants", nargs="*", default=[], help="NAME/BACKEND, e.g. int8-qat/openvino"
    )
    args = parser.parse_args()
    from piper import PiperVoice
    from piper.config import SynthesisConfig

    sentences = [s for s in dev_sentences() if len(s.split()) >= 15] + [FORTY_WORDS]
    engines = {b: EdgeTTS(backend=b) for b in available_backends()}
    for label in args.variants:
        variant, _, backend = label.partition("/")
        engines[label] = EdgeTTS(backend=backend or "auto", variant=variant)
    piper = PiperVoice.load(next(iter(engines.values())).voice.model_path)
    quiet = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    runs: dict[str, Callable[[str], tuple[float, float]]] = {
        "piper-tts (whole sentence)": lambda t: timed(piper.synthesize(t, quiet)),
    }
    for name, tts in engines.items():
        runs[f"edgetts {name} speak()"] = lambda t, e=tts: timed(
            e.speak(t, noise_scale=0, noise_w=0) for _ in range(1)
        )
        runs[f"edgetts {name} stream(chunk_ms={args.chunk_ms:g})"] = lambda t, e=tts: timed(
            e.stream(t, noise_scale=0, noise_w=0, chunk_ms=args.chunk_ms)
        )
        runs[f"edgetts {name} stream(chunk_ms={args.chunk_ms:g}, fast_start)"] = lambda t, e=tts: (
            timed(e.stream(t, noise_scale=0, noise_w=0, chunk_ms=args.chunk_ms, fast_start=True))
        )
    for run in runs.values():  # warm-up, and the one-time graph split
        run("Warm up the engines.")
    first: dict[str, list[float]] = {k: [] for k in runs}
    total: dict[str, list[float]] = {k: [] for k in runs}
    longest = max(range(len(sentences)), key=lambda i: len(sentences[i].split()))
    first_longest: dict[str, list[float]] = {k: [] for k in runs}
    for repeat in range(args.repeats):
        for i, text in enumerate(sentences):
            names = list(runs)
            shift = (i + repeat) % len(names)
            for name in names[shift:] + names[:shift]:
                f, t = runs[name](text)
                first[name].append(f)
                total[name].append(t)
                if i == longest:
                    first_longest[name].append(f)
    info = system_info()
    words = [len(s.split()) for s in sentences]
    print(
        f"{info['cpu']} ({info['usable_cores']} usable cores); {len(sentences)} sentences of "
        f"{min(words)}-{max(words)} words x {args.repeats} repeats, interleaved; noise 0\n"
    )
    n_longest = len(sentences[longest].split())
    print(
        f"| engine | first audio ms (median) | first audio ms, {n_longest}-word sentence "
        "| total ms (median) |"
    )
    print("|---|---|---|---|")
    for name in runs:
        print(
            f"| {name} | {1000 * statistics.median(first[name]):.0f} | "
            f"{1000 * statistics.median(first_longest[name]):.0f} | "
            f"{1000 * statistics.median(total[name]):.0f} |"
        )
    for name in engines:
        ratio = np.array(total[f"edgetts {name} stream(chunk_ms={args.chunk_ms:g})"]) / np.array(
            total[f"edgetts {name} speak()"]
        )
        print(f"\n{name}: streamed total / speak() total, median {np.median(ratio):.2f}")
    if args.quality:
        fast_start_quality(engines["onnxruntime"])


def fast_start_quality(tts: EdgeTTS) -> None:
    from edgetts.eval import aggregate_wer, error_counts
    from edgetts.eval.judges import DnsmosJudge, WhisperJudge

    whisper, dnsmos = WhisperJudge(), DnsmosJudge()
    texts = [t for t in dev_sentences() if any(s.clauses for s in tts.phonemize(t))]
    scores: dict[str, tuple[list[Any], list[float]]] = {"whole": ([], []), "fast_start": ([], [])}
    for text in texts:
        for mode, (counts, mos) in scores.items():
            chunks = tts.stream(
                text, noise_scale=0, noise_w=0, chunk_ms=100, fast_start=mode == "fast_start"
            )
            samples = np.concatenate([c.samples for c in chunks])
            counts.append(error_counts(text, whisper.transcribe(samples, tts.sample_rate)))
            mos.append(dnsmos.score(samples, tts.sample_rate).ovrl)
    print(f"\nfast_start quality, {len(texts)} dev sentences with several clauses (ORT, noise 0):")
    print("\n| synthesis | WER % | DNSMOS OVRL (mean) |\n|---|---|---|")
    for mode, (counts, mos) in scores.items():
        print(f"| {mode} | {100 * aggregate_wer(counts):.1f} | {np.mean(mos):.2f} |")


if __name__ == "__main__":
    main()
