"""Does the text front end make numbers, money and dates intelligible?

    python bench/frontend_wer.py [--backend onnxruntime]

Splits the development sentences into those with digits or symbols and the
plain rest, synthesises both sets with noise 0 (repeatable) using edgetts with
and without normalisation and piper-tts, and reports the whisper judge's WER
for each, with the paired bootstrap interval of edgetts minus piper-tts.
"""

from __future__ import annotations

import argparse
import re

import numpy as np

from edgetts import EdgeTTS
from edgetts.eval import aggregate_wer, bootstrap_difference, dev_sentences, error_counts
from edgetts.eval.judges import WhisperJudge
from edgetts.sysinfo import system_info

SYMBOLIC = re.compile(r"[\d$%&@£€/]|\b(?:Dr|Mr|Mrs|St)\.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="onnxruntime")
    args = parser.parse_args()
    from piper import PiperVoice
    from piper.config import SynthesisConfig

    sentences = dev_sentences()
    symbolic = [s for s in sentences if SYMBOLIC.search(s)]
    plain = [s for s in sentences if not SYMBOLIC.search(s)]
    judge = WhisperJudge()
    normalized = EdgeTTS(backend=args.backend)
    raw = EdgeTTS(backend=args.backend, normalize=False)
    piper = PiperVoice.load(normalized.voice.model_path)
    quiet = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)

    def edgetts_audio(tts: EdgeTTS, text: str) -> np.ndarray:
        return tts.speak(text, noise_scale=0.0, noise_w=0.0).samples

    def piper_audio(text: str) -> np.ndarray:
        return np.concatenate([c.audio_float_array for c in piper.synthesize(text, quiet)])

    engines = {
        "edgetts (normalized)": lambda t: edgetts_audio(normalized, t),
        "edgetts (espeak only)": lambda t: edgetts_audio(raw, t),
        "piper-tts": piper_audio,
    }
    rate = normalized.sample_rate
    counts = {}
    info = system_info()
    print(f"{info['cpu']}; whisper tiny.en int8 greedy; noise 0; backend {args.backend}")
    print(f"{len(symbolic)} sentences with digits/symbols, {len(plain)} plain\n")
    print("| engine | WER % digits/symbols | WER % plain |")
    print("|---|---|---|")
    for name, synth in engines.items():
        counts[name] = {}
        for label, group in (("symbolic", symbolic), ("plain", plain)):
            counts[name][label] = [error_counts(s, judge.transcribe(synth(s), rate)) for s in group]
        print(
            f"| {name} | {100 * aggregate_wer(counts[name]['symbolic']):.1f} | "
            f"{100 * aggregate_wer(counts[name]['plain']):.1f} |"
        )
    diff, low, high = bootstrap_difference(
        counts["edgetts (normalized)"]["symbolic"], counts["piper-tts"]["symbolic"]
    )
    print(
        f"\nedgetts (normalized) - piper-tts on digits/symbols: {100 * diff:+.1f} points "
        f"[95% CI {100 * low:+.1f}, {100 * high:+.1f}]"
    )


if __name__ == "__main__":
    main()
