"""Word start times from edgetts's durations against faster-whisper's.

    python bench/timestamps.py

Synthesises every development sentence with ``timestamps=True`` (noise 0),
asks faster-whisper tiny.en for word timestamps on the same audio, pairs the
words both name (after the WER normaliser, in order) and reports the median
and 90th percentile of the absolute start-time differences, and the signed
median (negative: our starts come before whisper's).
"""

from __future__ import annotations

import difflib

import numpy as np

from edgetts import EdgeTTS
from edgetts.eval import dev_sentences, normalize_for_wer
from edgetts.eval.judges import WhisperJudge
from edgetts.eval.sysinfo import system_info


def tokens(words: list[tuple[str, float]]) -> tuple[list[str], list[float]]:
    """Normalised single tokens with the start time of the word each came from."""
    names: list[str] = []
    starts: list[float] = []
    for word, start in words:
        for token in normalize_for_wer(word).split():
            names.append(token)
            starts.append(start)
    return names, starts


def main() -> None:
    tts = EdgeTTS(backend="onnxruntime")
    judge = WhisperJudge()
    errors: list[float] = []
    for text in dev_sentences():
        audio = tts.speak(text, noise_scale=0, noise_w=0, timestamps=True)
        ours = tokens([(w.word, w.start) for w in audio.words])
        heard = tokens([(w, s) for w, s, _ in judge.word_times(audio.samples, audio.sample_rate)])
        matcher = difflib.SequenceMatcher(a=ours[0], b=heard[0], autojunk=False)
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                errors.append(ours[1][block.a + k] - heard[1][block.b + k])
    info = system_info()
    signed = 1000 * np.array(errors)
    ms = np.abs(signed)
    print(f"{info['cpu']}; {len(dev_sentences())} dev sentences, noise 0, {len(ms)} matched words")
    print(
        f"word start |edgetts - whisper|: median {np.median(ms):.1f} ms, "
        f"p90 {np.percentile(ms, 90):.0f} ms, mean {ms.mean():.0f} ms; "
        f"signed median {np.median(signed):+.0f} ms"
    )


if __name__ == "__main__":
    main()
