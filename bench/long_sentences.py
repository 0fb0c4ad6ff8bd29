"""What cutting a long sentence into bounded model calls costs, with and without context.

    python bench/long_sentences.py [--backend onnxruntime] [--variant fp32]
        [--markdown bench/results/long_sentences.md [--append]]

Sentences longer than one model call (``edgetts.tts.MAX_CALL_PHONEMES``) are
cut at word boundaries. This joins the development sentences into eight
sentences of 480 phonemes or more and speaks each (noise 0, so every
difference is the cut's) whole in one call, and cut at 400 and at 200
phonemes, each with no context and with ``CALL_CONTEXT_PHONEMES`` of the
neighbouring words given to the model but not voiced. It reports WER
(faster-whisper tiny.en), DNSMOS OVRL, MCD-DTW against the whole sentence,
duration against the whole, and the pause at each cut (the run of frames
40 dB below the sentence's peak that spans the join) against the pauses
between words in the whole sentence.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from edgetts import EdgeTTS, SynthesisConfig
from edgetts.eval import aggregate_wer, dev_sentences, error_counts, fidelity
from edgetts.eval.judges import DnsmosJudge, WhisperJudge
from edgetts.eval.sysinfo import package_versions, system_info
from edgetts.hardware import reported_features
from edgetts.phonemize import Sentence
from edgetts.tts import CALL_CONTEXT_PHONEMES

LONG_PHONEMES = 480
CONDITIONS = (
    ("whole (one call)", 10**9, 0),
    ("cut at 400, no context", 400, 0),
    (f"cut at 400, context {CALL_CONTEXT_PHONEMES}", 400, CALL_CONTEXT_PHONEMES),
    ("cut at 200, no context", 200, 0),
    (f"cut at 200, context {CALL_CONTEXT_PHONEMES}", 200, CALL_CONTEXT_PHONEMES),
)
_TITLE = """# Long sentences: the cost of cutting them into model calls

Made by `bench/long_sentences.py` (its docstring says what each column is):
sentences of 480 phonemes or more, joined from the development sentences,
spoken with noise off (so a cut is the only difference from one call) in one
call, and cut at 400 and at 200 phonemes, with and without the neighbouring
words as context.
"""
FRAME = 0.01  # seconds per energy frame for the pause measure
QUIET_DB = -40.0


def long_texts(tts: EdgeTTS, count: int = 8) -> list[str]:
    """``count`` sentences of at least LONG_PHONEMES phonemes, joined from the dev
    sentences that are one sentence to espeak-ng (no inner full stops)."""
    pool = [s.rstrip(".!?") for s in dev_sentences()]
    pool = [s for s in pool if not any(c in s for c in ".!?")]
    texts: list[str] = []
    for k in range(count):
        parts: list[str] = []
        at = 5 * k
        while sum(len(s.phonemes) for s in tts.phonemize(", and ".join(parts) + ".")) < (
            LONG_PHONEMES
        ):
            part = pool[at % len(pool)]
            parts.append(part if not parts else part[0].lower() + part[1:])
            at += 1
        texts.append(", and ".join(parts) + ".")
    return texts


def quiet_runs(samples: NDArray[np.float32], rate: int) -> list[tuple[int, int]]:
    """(first, end) frame of each run of quiet frames."""
    hop = int(FRAME * rate)
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
    level = 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-12))
    quiet = level < level.max() + QUIET_DB
    runs, start = [], None
    for i, q in enumerate([*quiet, False]):
        if q and start is None:
            start = i
        elif not q and start is not None:
            runs.append((start, i))
            start = None
    return runs


def pause_at(runs: list[tuple[int, int]], sample: int, rate: int) -> float:
    """Seconds of quiet spanning ``sample`` (0 if it is not in a quiet run)."""
    frame = sample / (FRAME * rate)
    return next(((b - a) * FRAME for a, b in runs if a - 1 <= frame <= b + 1), 0.0)


def speak(tts: EdgeTTS, sentence: Sentence, limit: int, context: int) -> tuple[NDArray, list[int]]:
    """The sentence spoken in calls of ``limit`` phonemes; the sample offsets of the cuts."""
    config = SynthesisConfig(noise_scale=0.0, noise_w=0.0)
    pieces = [
        tts.synthesize_sentence(p, config, timestamps=True).samples
        for p in sentence.bounded(limit, context)
    ]
    return np.concatenate(pieces), list(np.cumsum([len(p) for p in pieces])[:-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="onnxruntime")
    parser.add_argument("--variant", default=None, help="default: the shipped default")
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--append", action="store_true", help="add to --markdown, not replace")
    args = parser.parse_args()
    tts = EdgeTTS(backend=args.backend, variant=args.variant, threads=2)
    whisper, dnsmos = WhisperJudge(), DnsmosJudge()
    rate = tts.sample_rate
    texts = long_texts(tts)
    sentences = [s for t in texts for s in tts.phonemize(t)]
    rows = {
        name: {"wer": [], "ovrl": [], "mcd": [], "ratio": [], "cut_pause": []}
        for name, *_ in CONDITIONS
    }
    word_pauses: list[float] = []
    for text, sentence in zip(texts, sentences, strict=True):
        whole, _ = speak(tts, sentence, 10**9, 0)
        runs = quiet_runs(whole, rate)
        word_pauses += [(b - a) * FRAME for a, b in runs[1:-1]]
        for name, limit, context in CONDITIONS:
            audio, cuts = (
                (whole, [])
                if limit > len(sentence.phonemes)
                else speak(tts, sentence, limit, context)
            )
            row = rows[name]
            row["wer"].append(error_counts(text, whisper.transcribe(audio, rate)))
            row["ovrl"].append(dnsmos.score(audio, rate).ovrl)
            fid = fidelity(audio, whole, rate)
            row["mcd"].append(fid.mcd_db)
            row["ratio"].append(fid.duration_ratio)
            row["cut_pause"] += [pause_at(quiet_runs(audio, rate), c, rate) for c in cuts]
    info = system_info()
    engines = package_versions(("edgetts", "onnxruntime", "openvino"))
    versions = ", ".join(f"{name} {version}" for name, version in engines.items() if version)
    lengths = [len(s.phonemes) for s in sentences]
    lines = [
        f"## {tts.backend.name}, variant {tts.variant}",
        "",
        f"`python bench/long_sentences.py --backend {args.backend} --variant {tts.variant}` "
        f"on {info['cpu']} ({info['usable_cores']} cores; {', '.join(reported_features())}); "
        f"{versions}; commit {info['git_commit']}. {len(sentences)} sentences of "
        f"{min(lengths)}-{max(lengths)} phonemes; one run.",
        "",
        "Pauses between words in the whole sentences: "
        f"median {1000 * np.median(word_pauses):.0f} ms "
        f"(p90 {1000 * np.percentile(word_pauses, 90):.0f} ms, {len(word_pauses)} pauses).",
        "",
        "| calls | WER % | DNSMOS OVRL | MCD vs whole (dB) | duration vs whole "
        "| pause at cuts: median / max (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        pauses = row["cut_pause"]
        pause = f"{1000 * np.median(pauses):.0f} / {1000 * max(pauses):.0f}" if pauses else "no cut"
        lines.append(
            f"| {name} | {100 * aggregate_wer(row['wer']):.1f} | {np.mean(row['ovrl']):.3f} | "
            f"{np.mean(row['mcd']):.2f} | {np.mean(row['ratio']):.3f} | {pause} |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    if args.markdown:
        before = args.markdown.read_text(encoding="utf-8") if args.append else _TITLE
        args.markdown.write_text(before + "\n" + report, encoding="utf-8")


if __name__ == "__main__":
    main()
