"""How closely edgetts's phonemes match the phonemizers Piper voices know.

    pip install piper-tts piper-phonemize   # the two references (not dependencies)
    python research/probes/phonemizer_agreement.py [--sentences FILE] [--words N]

Compares, sentence by sentence and word by word, edgetts (espeakng-loader's
espeak-ng via espeak_TextToPhonemes), piper-tts's bundled espeak-ng, and
piper-phonemize (the phonemizer Piper voices were trained with), on the
development sentences (or FILE, one sentence a line). The word list
is the N most common words in the comments of this Python's standard library,
so it is the same on every machine with the same Python.
"""

from __future__ import annotations

import argparse
import collections
import re
import sysconfig
import unicodedata
from collections.abc import Callable
from pathlib import Path

from edgetts import phonemize
from edgetts.eval import dev_sentences

Phonemizer = Callable[[str], list[str]]


def common_words(limit: int) -> list[str]:
    counts: collections.Counter[str] = collections.Counter()
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for comment in re.findall(r"#\s*([A-Za-z ,.]{20,})", text):
            counts.update(re.findall(r"\b[a-z]{3,12}\b", comment))
    return [w for w, _ in counts.most_common(limit)]


def nfd(sentences: list[str]) -> list[str]:
    return [unicodedata.normalize("NFD", s) for s in sentences]


def phonemizers() -> dict[str, Phonemizer]:
    found: dict[str, Phonemizer] = {"edgetts": lambda t: nfd([s.ipa for s in phonemize(t)])}
    try:
        from piper.phonemize_espeak import EspeakPhonemizer

        piper = EspeakPhonemizer()
        found["piper-tts"] = lambda t: nfd(["".join(s) for s in piper.phonemize("en-us", t)])
    except ImportError:
        print("piper-tts is not installed: skipped")
    try:
        import piper_phonemize

        found["piper-phonemize (training)"] = lambda t: nfd(
            ["".join(s) for s in piper_phonemize.phonemize_espeak(t, "en-us")]
        )
    except ImportError:
        print("piper-phonemize is not installed: skipped")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sentences", type=Path, default=None)
    parser.add_argument("--words", type=int, default=3000)
    args = parser.parse_args()
    if args.sentences is None:
        sentences = dev_sentences()
    else:
        sentences = [t for t in args.sentences.read_text("utf-8").splitlines() if t.strip()]
    words = common_words(args.words)
    engines = phonemizers()
    outputs = {
        name: ([fn(t) for t in sentences], [fn(w) for w in words]) for name, fn in engines.items()
    }
    names = list(outputs)
    print(f"{len(sentences)} sentences, {len(words)} words; identical outputs:\n")
    print("| pair | sentences | words |")
    print("|---|---|---|")
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            same_s = sum(x == y for x, y in zip(outputs[a][0], outputs[b][0], strict=True))
            same_w = sum(x == y for x, y in zip(outputs[a][1], outputs[b][1], strict=True))
            print(f"| {a} vs {b} | {same_s}/{len(sentences)} | {same_w}/{len(words)} |")
    if len(names) > 1:
        diffs: collections.Counter[str] = collections.Counter()
        for ours, ref in zip(outputs[names[0]][1], outputs[names[-1]][1], strict=True):
            if ours != ref:
                diffs[f"{''.join(ours)} / {''.join(ref)}"] += 1
        print(f"\nfirst word differences, {names[0]} / {names[-1]}:")
        for pair, _ in diffs.most_common(12):
            print(f"  {pair}")


if __name__ == "__main__":
    main()
