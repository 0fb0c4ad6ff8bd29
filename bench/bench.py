"""Speed of every installed edgetts backend vs piper-tts on the same voice.

    python bench/bench.py [--sentences FILE] [--repeats N] [--threads T] [--json OUT]

Prints a Markdown table (medians, RTF, ratios to piper-tts) with the CPU,
thread settings and versions it was measured with.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edgetts.benchmark import format_report, run_speed_benchmark

DEFAULT_SENTENCES = Path(__file__).parents[2] / "shared" / "data" / "dev_sentences.txt"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sentences", type=Path, default=DEFAULT_SENTENCES)
    parser.add_argument("--backends", nargs="*", default=None)
    parser.add_argument("--voice", default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    sentences = [t for t in args.sentences.read_text(encoding="utf-8").splitlines() if t.strip()]
    results, info = run_speed_benchmark(
        sentences, backends=args.backends, voice=args.voice, threads=args.threads,
        repeats=args.repeats, progress=lambda m: print(m, end="\r", file=sys.stderr),
    )  # fmt: skip
    print(file=sys.stderr)
    print(format_report(results, info))
    if args.json:
        payload = {"system": info, "results": [r.to_dict() for r in results]}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
