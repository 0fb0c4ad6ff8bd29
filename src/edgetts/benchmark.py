"""Speed benchmark: edgetts backends side by side with piper-tts.

Every engine synthesises the same sentences in one process, interleaved
(sentence by sentence, engine order rotated each repeat) so that drift on a
shared, noisy machine hits all engines alike. Reported figures are medians and
ratios to piper-tts, with the hardware and versions they came from.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .backends import available_backends
from .sysinfo import system_info
from .voice import Voice

__all__ = ["Engine", "EngineResult", "edgetts_engine", "piper_engine", "run_speed_benchmark"]

#: Synthesises one text; returns (number of samples, sample rate).
SynthesizeFn = Callable[[str], tuple[int, int]]


@dataclass(frozen=True)
class Engine:
    name: str
    synthesize: SynthesizeFn
    load_seconds: float


@dataclass
class EngineResult:
    name: str
    load_seconds: float
    latencies: list[float] = field(default_factory=list)
    audio_seconds: list[float] = field(default_factory=list)

    @property
    def median_latency(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p90_latency(self) -> float:
        return (
            statistics.quantiles(self.latencies, n=10)[-1]
            if len(self.latencies) > 1
            else self.latencies[0]
        )

    @property
    def rtf(self) -> float:
        """Real-time factor: seconds of compute per second of audio (lower is faster)."""
        return sum(self.latencies) / sum(self.audio_seconds)

    def to_dict(self) -> dict[str, float | str]:
        return {
            "engine": self.name,
            "load_seconds": self.load_seconds,
            "median_latency_s": self.median_latency,
            "p90_latency_s": self.p90_latency,
            "rtf": self.rtf,
            "sentences": len(self.latencies),
        }


def _timed_load(load: Callable[[], SynthesizeFn], name: str) -> Engine:
    start = time.perf_counter()
    synthesize = load()
    return Engine(name, synthesize, time.perf_counter() - start)


def edgetts_engine(backend: str, voice: Voice, threads: int | None = None) -> Engine:
    from .tts import EdgeTTS

    def load() -> SynthesizeFn:
        tts = EdgeTTS(voice.model_path, backend=backend, threads=threads)

        def synthesize(text: str) -> tuple[int, int]:
            audio = tts.speak(text)
            return len(audio.samples), audio.sample_rate

        return synthesize

    return _timed_load(load, f"edgetts-{backend}")


def piper_engine(voice: Voice) -> Engine | None:
    """piper-tts on the same voice, or None when it is not installed (a dev extra)."""
    try:
        from piper import PiperVoice
    except ImportError:
        return None

    def load() -> SynthesizeFn:
        piper_voice = PiperVoice.load(voice.model_path)

        def synthesize(text: str) -> tuple[int, int]:
            chunks = list(piper_voice.synthesize(text))
            return sum(len(c.audio_float_array) for c in chunks), piper_voice.config.sample_rate

        return synthesize

    return _timed_load(load, "piper-tts")


def run_speed_benchmark(
    sentences: Sequence[str],
    *,
    backends: Sequence[str] | None = None,
    voice: str | Path | None = None,
    threads: int | None = None,
    repeats: int = 1,
    warmup: int = 3,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[EngineResult], dict[str, object]]:
    """Time every engine on ``sentences``; returns results (piper-tts first) and system info."""
    loaded = Voice.load(voice)
    engines: list[Engine] = []
    peer = piper_engine(loaded)
    if peer is not None:
        engines.append(peer)
    engines += [edgetts_engine(b, loaded, threads) for b in (backends or available_backends())]
    results = {e.name: EngineResult(e.name, e.load_seconds) for e in engines}
    for engine in engines:
        for text in sentences[:warmup]:
            engine.synthesize(text)
    for repeat in range(repeats):
        for i, text in enumerate(sentences):
            shift = (i + repeat) % len(engines)
            for engine in engines[shift:] + engines[:shift]:
                start = time.perf_counter()
                samples, rate = engine.synthesize(text)
                elapsed = time.perf_counter() - start
                results[engine.name].latencies.append(elapsed)
                results[engine.name].audio_seconds.append(samples / rate)
            if progress:
                progress(f"repeat {repeat + 1}/{repeats} sentence {i + 1}/{len(sentences)}")
    info = system_info()
    info["threads"] = threads if threads is not None else "runtime default"
    info["voice"] = loaded.name
    return list(results.values()), info


def format_report(results: Sequence[EngineResult], info: dict[str, object]) -> str:
    """A Markdown table with ratios to piper-tts when it ran."""
    peer = next((r for r in results if r.name == "piper-tts"), None)
    lines = [
        f"CPU: {info['cpu']} ({info['usable_cores']} usable cores), threads: {info['threads']}, "
        f"voice: {info['voice']}",
        f"versions: {info['versions']}, commit {info['git_commit']}",
        "",
        "| engine | load s | median latency ms | p90 ms | RTF | latency vs piper | RTF vs piper |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if peer is not None:
            ratios = [a / b for a, b in zip(r.latencies, peer.latencies, strict=True)]
            vs = f"{statistics.median(ratios):.2f}x | {r.rtf / peer.rtf:.2f}x"
        else:
            vs = "n/a | n/a"
        lines.append(
            f"| {r.name} | {r.load_seconds:.2f} | {1000 * r.median_latency:.1f} | "
            f"{1000 * r.p90_latency:.1f} | {r.rtf:.3f} | {vs} |"
        )
    lines.append("")
    lines.append(
        f"{len(results[0].latencies)} sentence runs per engine, interleaved; ratios < 1 mean "
        "faster than piper-tts (latency ratio: median of per-sentence ratios)."
    )
    return "\n".join(lines)
