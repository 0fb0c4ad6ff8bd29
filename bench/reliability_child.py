"""One process of ``bench/reliability.py``: ``python reliability_child.py MODE BACKEND``.

Reads a JSON job on stdin and prints one JSON line: ``kind`` (audio, typed,
crash; or pass/fail for the checks), ``outcome``, ``seconds`` and ``peak_mb``.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edgetts import EdgeTTS, EdgeTTSError, SynthesisConfig

TYPED = (TypeError, ValueError, EdgeTTSError)
QUIET = SynthesisConfig(noise_scale=0.0, noise_w=0.0)  # deterministic, for equality


def _rss_mb() -> float:
    with Path("/proc/self/statm").open() as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def speak(backend: str, job: dict[str, Any]) -> dict[str, Any]:
    """One corpus case: the audio's length, or the typed error."""
    start = time.perf_counter()
    try:
        tts = EdgeTTS(job.get("voice"), backend=backend, variant=job.get("variant"))
        seconds = sum(c.duration for c in tts.stream(job["text"]))
        result = {"kind": "audio", "outcome": f"audio {seconds:.1f} s", "audio_s": seconds}
    except TYPED as exc:
        result = {"kind": "typed", "outcome": f"{type(exc).__name__}: {exc}"}
    except BaseException as exc:  # what the corpus is looking for
        result = {"kind": "crash", "outcome": f"CRASH {type(exc).__name__}: {exc}"}
    return result | {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb()}


def peak(backend: str, job: dict[str, Any]) -> dict[str, Any]:
    """Synthesise ``text`` for at most ``seconds`` of wall time: peak RSS so far.

    Every model call is bounded, so the peak comes with the largest call, long
    before a megabyte of input is all spoken (which takes hours of audio).
    """
    start = time.perf_counter()
    made, outcome, kind = 0.0, "", "pass"
    try:
        for chunk in EdgeTTS(backend=backend).stream(job["text"], chunk_ms=job.get("chunk_ms")):
            made += chunk.duration
            if time.perf_counter() - start > float(job["seconds"]):
                break
        outcome = f"{made:.0f} s of audio in {time.perf_counter() - start:.0f} s"
    except TYPED as exc:
        outcome = f"{type(exc).__name__}: {exc}"[:90]
    except BaseException as exc:
        outcome, kind = f"CRASH {type(exc).__name__}: {exc}"[:90], "fail"
    mb = _peak_mb()
    if mb > 1024:
        kind = "fail"
    return {
        "kind": kind,
        "outcome": f"{outcome}; peak RSS {mb:.0f} MB",
        "seconds": time.perf_counter() - start,
    }


def batch(backend: str, job: dict[str, Any]) -> dict[str, Any]:
    """Every corpus case in this one process (the fast form)."""
    results = []
    for case in job["jobs"]:
        if "home" in case:
            os.environ["EDGETTS_HOME"] = case["home"]
        results.append(speak(backend, case))
        os.environ.pop("EDGETTS_HOME", None)
    return {"results": results}


def fuzz(backend: str, job: dict[str, Any]) -> dict[str, Any]:
    """Generated text and SSML: every call gives audio or a typed error."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    tts = EdgeTTS(backend=backend)
    kinds = {"audio": 0, "typed": 0}

    def attempt(text: str) -> None:
        try:
            for _ in tts.stream(text, chunk_ms=100 if len(text) % 2 else None):
                pass
            kinds["audio"] += 1
        except TYPED:
            kinds["typed"] += 1

    words = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
        ["12:30", "$4.99", "1-800-555-0199", "Jan. 5", "3.14", "e.g.", "&&", "\U0001f600" * 3]
    )
    attribute = st.sampled_from(["1s", "300ms", "-1s", "x", "99999s", "", "50%", "200%"])

    def element(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        tags = st.sampled_from(
            [
                '<break time="{a}"/>{t}',
                '<say-as interpret-as="{k}">{t}</say-as>',
                '<prosody rate="{a}">{t}</prosody>',
                '<phoneme alphabet="ipa" ph="{t}">x</phoneme>',
                '<sub alias="{t}">y</sub>',
                "<p>{t}</p><s>{t}</s>",
                "<{t}>",
            ]
        )
        kinds_ = st.sampled_from(["cardinal", "ordinal", "characters", "digits", "date", "x"])
        return st.builds(
            lambda tag, a, k, t: tag.format(a=a, k=k, t=t), tags, attribute, kinds_, inner
        )

    ssml = st.recursive(words, lambda inner: st.lists(element(inner), max_size=3).map("".join))
    texts = words | ssml.map(lambda body: f"<speak>{body}</speak>")
    check = settings(
        max_examples=int(job["examples"]),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )(given(texts)(attempt))
    start = time.perf_counter()
    try:
        check()
    except BaseException as exc:  # hypothesis re-raises the smallest failing example
        return {
            "kind": "fail",
            "outcome": f"CRASH {type(exc).__name__}: {exc}"[:200],
            "seconds": time.perf_counter() - start,
        }
    return {
        "kind": "pass",
        "seconds": time.perf_counter() - start,
        "outcome": f"{sum(kinds.values())} generated texts and SSML: audio {kinds['audio']}, "
        f"typed {kinds['typed']}, crash 0",
    }


SENTENCES = [
    "Hello there.",
    "The meeting moved to 3:45 pm on Jan. 5.",
    "Call 1-800-555-0199 now.",
    "It costs $12.50, tax included.",
    "Turn left in 300 feet, then keep right.",
    "Version 2.1.3 fixed the bug.",
    "Good morning!",
    "Is it raining in Boston?",
]


def threads(backend: str, job: dict[str, Any]) -> dict[str, Any]:
    """``threads`` threads x ``calls`` calls on one instance against serial outputs."""
    tts = EdgeTTS(backend=backend)
    start = time.perf_counter()
    serial = {t: tts.speak(t, syn_config=QUIET).samples for t in SENTENCES}
    count, calls, mismatches = int(job["threads"]), int(job["calls"]), []

    def work(k: int) -> None:
        for i in range(calls):
            text = SENTENCES[(k + i) % len(SENTENCES)]
            if not np.array_equal(tts.speak(text, syn_config=QUIET).samples, serial[text]):
                mismatches.append(text)

    pool = [threading.Thread(target=work, args=(k,)) for k in range(count)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    outcome = (
        f"{count} threads x {calls} calls: {count * calls - len(mismatches)} identical to serial"
    )
    return {
        "kind": "fail" if mismatches else "pass",
        "outcome": outcome,
        "seconds": time.perf_counter() - start,
    }


def _growth(calls: int, one: Callable[[int], object], label: str) -> dict[str, Any]:
    """RSS once warm (after a tenth of ``calls``, 100 at least) against the end."""
    start = time.perf_counter()
    warm, threads_before = 0.0, threading.active_count()
    warm_after = min(calls, max(100, calls // 10))
    for i in range(calls):
        one(i)
        if i + 1 == warm_after:
            gc.collect()
            warm = _rss_mb()
    gc.collect()
    end = _rss_mb()
    growth = 100 * (end - warm) / warm
    leaked = threading.active_count() - threads_before
    outcome = (
        f"{calls} {label}: RSS {warm:.0f} MB after {max(1, calls // 10)}, {end:.0f} MB "
        f"after {calls} ({growth:+.1f}%), {leaked} threads left; peak {_peak_mb():.0f} MB"
    )
    good = growth < 5.0 and leaked <= 0
    return {
        "kind": "pass" if good else "fail",
        "outcome": outcome,
        "seconds": time.perf_counter() - start,
    }


def soak(backend: str, job: dict[str, Any]) -> dict[str, Any]:
    tts = EdgeTTS(backend=backend)
    return _growth(int(job["soak"]), lambda i: tts.speak(SENTENCES[i % len(SENTENCES)]), "calls")


def abandon(backend: str, job: dict[str, Any]) -> dict[str, Any]:
    tts = EdgeTTS(backend=backend)
    text = " ".join(SENTENCES)

    def one(i: int) -> None:
        next(iter(tts.stream(text, chunk_ms=100)))  # then dropped, never closed

    return _growth(int(job["abandon"]), one, "streams abandoned after their first chunk")


MODES = {f.__name__: f for f in (speak, batch, peak, fuzz, threads, soak, abandon)}

if __name__ == "__main__":
    mode, backend = sys.argv[1], sys.argv[2]
    print(json.dumps(MODES[mode](backend, json.loads(sys.stdin.read()))))
