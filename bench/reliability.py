"""Bad and huge inputs, each in a fresh process: outcome, peak memory and time.

    python bench/reliability.py [--backends onnxruntime openvino] [--markdown FILE]

Each case runs ``EdgeTTS(backend=B).speak(text)`` (the default, shipped
variant) in its own interpreter, so its peak RSS is its own. An outcome is
audio (its length), or an exception: a typed one (``TypeError``, ``ValueError``
or an ``EdgeTTSError``) passes, anything else is a crash. The time limit per
case is 30 s per kB of input, and at least 60 s. Sizes are those of the
issue's table where the audio they ask for takes minutes, not hours, to make
(time grows with the audio; memory, with the bound on each model call, does not).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from edgetts.sysinfo import cpu_model

CASES: dict[str, str] = {
    "phoneme 5 000 chars": '<speak><phoneme alphabet="ipa" ph="{}">x</phoneme></speak>'.format(
        "həˈloʊ " * 715
    ),
    "phoneme 20 000 chars": '<speak><phoneme alphabet="ipa" ph="{}">x</phoneme></speak>'.format(
        "həˈloʊ " * 2860
    ),
    "1 000 emoji": "\U0001f600" * 1000,
    "say-as cardinal, 4 000 digits": (
        f'<speak><say-as interpret-as="cardinal">{"7" * 4000}</say-as></speak>'
    ),
    "5 000 digits": "7" * 5000,
    '"$" x 2 000': "$" * 2000,
    "a 20 000-letter word": "a" * 20_000,
    "100 x 60 s breaks": "<speak>" + '<break time="60s"/>' * 100 + "</speak>",
    "NUL x 10": "\x00" * 10,
    "zero-width spaces": "\u200b" * 50,
    "lone surrogate": "hello \ud800 there",
    "malformed SSML": "<speak><break time='1s'></speak>",
    "20 kB of prose": ("The birch canoe slid on the smooth planks. " * 480)[:20_000],
}

_CHILD = """
import json, resource, sys, time
from edgetts import EdgeTTS, EdgeTTSError
text = sys.stdin.read().encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")
tts = EdgeTTS(backend=sys.argv[1])
start = time.perf_counter()
try:
    seconds = sum(c.duration for c in tts.stream(text))
    outcome = f"audio {seconds:.1f} s"
    kind = "audio"
except (TypeError, ValueError, EdgeTTSError) as exc:
    outcome, kind = f"{type(exc).__name__}: {str(exc)[:70]}", "typed"
except BaseException as exc:
    outcome, kind = f"CRASH {type(exc).__name__}: {str(exc)[:70]}", "crash"
print(json.dumps({"outcome": outcome, "kind": kind, "seconds": time.perf_counter() - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(backend: str, text: str) -> dict[str, object]:
    limit = max(60.0, 30.0 * len(text.encode("utf-8", "surrogatepass")) / 1000)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, backend],
            input=text.encode("utf-8", "surrogatepass"),
            capture_output=True,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": f"HANG (> {limit:.0f} s)", "kind": "hang", "seconds": limit}
    lines = done.stdout.decode().strip().splitlines()
    if done.returncode or not lines:
        tail = done.stderr.decode().strip().splitlines()[-1:] or ["?"]
        return {
            "outcome": f"CRASH exit {done.returncode}: {tail[0][:70]}",
            "kind": "crash",
            "seconds": time.perf_counter() - start,
        }
    result: dict[str, object] = json.loads(lines[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", default=["onnxruntime", "openvino"])
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args()
    lines = [
        f"CPU: {cpu_model()}; default variant; each case in a fresh process",
        "",
        "| case | input kB | backend | outcome | peak RSS MB | s |",
        "|---|---|---|---|---|---|",
    ]
    kinds: list[str] = []
    for name, text in CASES.items():
        for backend in args.backends:
            r = run(backend, text)
            kinds.append(str(r["kind"]))
            size = len(text.encode("utf-8", "surrogatepass")) / 1000
            peak = r.get("peak_mb")
            lines.append(
                f"| {name} | {size:.1f} | {backend} | {r['outcome']} | "
                f"{f'{peak:.0f}' if isinstance(peak, float) else '-'} | {float(r['seconds']):.1f} |"
            )
            print(lines[-1], flush=True)
    lines += [
        "",
        f"{len(kinds)} runs: " + ", ".join(f"{k} {kinds.count(k)}" for k in sorted(set(kinds))),
    ]
    text = "\n".join(lines) + "\n"
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
