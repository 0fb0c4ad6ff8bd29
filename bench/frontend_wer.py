"""Is everyday written text read the way people say it?

    python bench/frontend_wer.py [--backend onnxruntime] > bench/results/frontend_wer.md

Two sets, synthesised with noise 0 (repeatable) by edgetts with and without its
text front end and by piper-tts, transcribed by the whisper judge:

- the front-end set (``edgetts/eval/data/frontend_sentences.tsv``): receipts,
  navigation, calendars, support calls, units and tech text, each scored against
  the spoken form written by hand. Whisper writes what it hears as digits and
  symbols ("$23.47", "1-800-555-0199"), so the transcript's digits and symbols are
  read back with the front end's number rules (``normalize_text(words=False)``:
  no abbreviation is expanded) before the comparison, the same for every engine;
- the development sentences without digits or symbols, scored against their text:
  the baseline the front-end set is held to (target: within 2 points).

Prints WER per category and overall, the paired bootstrap interval of edgetts
minus piper-tts on the front-end set, the front end's text-only WER against the
spoken forms (no audio), and each sentence edgetts got wrong.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from importlib.resources import files

import numpy as np

from edgetts import EdgeTTS
from edgetts.eval import (
    ErrorCounts,
    aggregate_wer,
    bootstrap_difference,
    dev_sentences,
    error_counts,
)
from edgetts.eval.judges import WhisperJudge
from edgetts.eval.sysinfo import system_info
from edgetts.normalize import normalize_text

SYMBOLIC = re.compile(r"[\d$%&@£€/]|\b(?:Dr|Mr|Mrs|St)\.")


def frontend_sentences() -> list[tuple[str, str, str]]:
    """(category, written, spoken) rows of the front-end set shipped with edgetts.eval."""
    data = files("edgetts.eval").joinpath("data", "frontend_sentences.tsv")
    lines = [line for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [line.split("\t") for line in lines if not line.startswith("#")][1:]  # header
    return [(category, written, spoken) for category, written, spoken in rows]


def scored(reference: str, transcript: str) -> ErrorCounts:
    """Edits of one sentence, at most one per reference word: whisper tiny sometimes
    loops ("$0.00 to $0.00 to ..."), and one loop's hundred insertions would outweigh
    the rest of the set."""
    counts = error_counts(reference, transcript)
    return dataclasses.replace(counts, word_edits=min(counts.word_edits, counts.words))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="onnxruntime")
    args = parser.parse_args()
    from piper import PiperVoice
    from piper.config import SynthesisConfig

    rows = frontend_sentences()
    categories = list(dict.fromkeys(category for category, _, _ in rows))
    plain = [s for s in dev_sentences() if not SYMBOLIC.search(s)]
    judge = WhisperJudge()
    normalized = EdgeTTS(backend=args.backend)
    raw = EdgeTTS(backend=args.backend, normalize=False)
    piper = PiperVoice.load(normalized.voice.model_path)
    quiet = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    rate = normalized.sample_rate

    def edgetts_audio(tts: EdgeTTS, text: str) -> np.ndarray:
        return tts.speak(text, noise_scale=0.0, noise_w=0.0).samples

    def piper_audio(text: str) -> np.ndarray:
        return np.concatenate([c.audio_float_array for c in piper.synthesize(text, quiet)])

    engines = {
        "edgetts": lambda t: edgetts_audio(normalized, t),
        "edgetts (espeak only)": lambda t: edgetts_audio(raw, t),
        "piper-tts": piper_audio,
    }
    heard: dict[str, list[str]] = {}
    frontend: dict[str, list[ErrorCounts]] = {}
    baseline: dict[str, list[ErrorCounts]] = {}
    for name, synth in engines.items():
        heard[name] = [judge.transcribe(synth(written), rate) for _, written, _ in rows]
        frontend[name] = [
            scored(spoken, normalize_text(text, words=False))
            for (_, _, spoken), text in zip(rows, heard[name], strict=True)
        ]
        baseline[name] = [scored(s, judge.transcribe(synth(s), rate)) for s in plain]

    info = system_info()
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    print(
        f"`python bench/frontend_wer.py --backend {args.backend}`: one run, noise 0 (repeatable), "
        "whisper tiny.en int8 greedy, a sentence counts at most one edit per word.\n"
    )
    print(f"{info['cpu']}, {info['usable_cores']} usable cores; {versions}\n")
    print(
        f"{len(rows)} front-end sentences against hand-written spoken forms, "
        f"{len(plain)} plain development sentences against their text\n"
    )
    print("| WER % | " + " | ".join(engines) + " |")
    print("|---" * (len(engines) + 1) + "|")

    def row(label: str, counts: dict[str, list[ErrorCounts]], pick: list[int]) -> None:
        cells = [f"{100 * aggregate_wer([counts[n][i] for i in pick]):.1f}" for n in engines]
        print(f"| {label} | " + " | ".join(cells) + " |")

    for category in categories:
        pick = [i for i, (c, _, _) in enumerate(rows) if c == category]
        row(f"{category} ({len(pick)})", frontend, pick)
    row(f"**front-end set ({len(rows)})**", frontend, list(range(len(rows))))
    row(f"plain development sentences ({len(plain)})", baseline, list(range(len(plain))))
    gaps = [100 * (aggregate_wer(frontend[n]) - aggregate_wer(baseline[n])) for n in engines]
    print("| front-end set - plain, points | " + " | ".join(f"{g:+.1f}" for g in gaps) + " |")

    diff, low, high = bootstrap_difference(frontend["edgetts"], frontend["piper-tts"])
    print(
        f"\nedgetts - piper-tts on the front-end set: {100 * diff:+.1f} points "
        f"[95% CI {100 * low:+.1f}, {100 * high:+.1f}]"
    )
    text_only = [error_counts(spoken, normalize_text(written)) for _, written, spoken in rows]
    print(
        f"\nThe front end's text against the spoken forms, before any audio: "
        f"{100 * aggregate_wer(text_only):.1f}% WER."
    )
    misses = [i for i, c in enumerate(frontend["edgetts"]) if c.word_edits]
    print(f"\nedgetts missed words in {len(misses)} of {len(rows)} sentences:\n")
    print("| written | whisper heard | edits |")
    print("|---|---|---|")
    for i in misses:
        written = rows[i][1].replace("|", "\\|")
        print(f"| {written} | {heard['edgetts'][i]} | {frontend['edgetts'][i].word_edits} |")


if __name__ == "__main__":
    main()
