"""Speed side of ``edgetts bench``: engines, interleaved timing, collected audio.

Every engine (each model variant on each backend, plus piper-tts on the same
voice) synthesises the same sentences in one process, interleaved sentence by
sentence with the engine order rotated, so drift on a shared, noisy machine
hits all engines alike. The audio is kept for the quality judges.
"""

from __future__ import annotations

import functools
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..hardware import graph_precisions
from ..split import GRAPHS
from ..variants import stored_variants
from ..voice import Voice

__all__ = ["Engine", "EngineRun", "load_engines", "run_interleaved"]

PEER = "piper-tts"
#: Idle seconds before each timed call. ONNX Runtime's idle threads spin after a
#: run (piper-tts's session and edgetts's whole-graph one do), and a rotation
#: gives each engine the same predecessor every time: without the gap, fp32 ONNX
#: Runtime measured 0.83x piper-tts beside four other engines and 1.03x beside
#: piper-tts alone (docs/benchmarks.md). The gap lets every engine start as if alone.
SETTLE_S = 0.05
#: Streams one text as float32 chunks; the runner times the first and the last.
StreamFn = Callable[[str], Iterable[NDArray[np.float32]]]
#: Deterministic (noise 0) synthesis of one text, for fidelity.
DeterministicFn = Callable[[str], NDArray[np.float32]]


def _rss_mb() -> float:
    """Current resident set size (falls back to the peak where /proc is absent)."""
    statm = Path("/proc/self/statm")
    if statm.is_file():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return peak_rss_mb()


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@dataclass
class Engine:
    name: str
    variant: str
    backend: str
    sample_rate: int
    model_bytes: int
    stream: StreamFn
    deterministic: DeterministicFn
    load_seconds: float = 0.0
    rss_added_mb: float = 0.0


@dataclass
class EngineRun:
    """What one engine did over the sentence list."""

    engine: Engine
    latencies: list[float] = field(default_factory=list)
    first_audio: list[float] = field(default_factory=list)
    audio: list[NDArray[np.float32]] = field(default_factory=list)

    @property
    def audio_seconds(self) -> list[float]:
        return [len(a) / self.engine.sample_rate for a in self.audio]

    def speed(self) -> dict[str, float]:
        if not sum(self.audio_seconds):
            raise ValueError(f"{self.engine.name} produced no audio for any sentence")
        lat = self.latencies
        p90 = statistics.quantiles(lat, n=10)[-1] if len(lat) > 1 else lat[0]
        return {
            "latency_median_s": statistics.median(lat),
            "latency_p90_s": p90,
            "rtf": sum(lat) / sum(self.audio_seconds),
            "first_audio_median_s": statistics.median(self.first_audio),
        }


def _edgetts_engine(
    voice: Voice,
    variant: str,
    model_bytes: int,
    backend: str,
    *,
    threads: int | None,
    device: str,
    chunk_ms: float | None,
    precision: str = "auto",
    noise: bool = True,
) -> Engine:
    from ..tts import EdgeTTS

    tts = EdgeTTS(
        voice.model_path,
        backend=backend,
        threads=threads,
        device=device,
        variant=variant,
        precision=precision,
    )

    def stream(text: str) -> Iterator[NDArray[np.float32]]:
        scale = None if noise else 0.0  # None: the voice's own noise scales
        chunks = tts.stream(text, chunk_ms=chunk_ms, noise_scale=scale, noise_w=scale)
        return (chunk.samples for chunk in chunks)

    def deterministic(text: str) -> NDArray[np.float32]:
        return tts.speak(text, noise_scale=0.0, noise_w=0.0).samples

    # The label says where a graph runs otherwise than the backend's default.
    suffix = "+bf16" if "bf16" in tts.precisions.values() else ""
    prior_backend = tts.graph_backends.get("prior", backend)
    if prior_backend != backend:
        suffix += f"+prior-{prior_backend}"
    return Engine(
        f"{variant}/{backend}{suffix}",
        variant,
        backend,
        tts.sample_rate,
        model_bytes,
        stream,
        deterministic,
    )


def _piper_engine(model: Path, noise: bool = True) -> Engine | None:
    try:
        from piper import PiperVoice
        from piper.config import SynthesisConfig
    except ImportError:
        return None
    voice = PiperVoice.load(model)
    quiet = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)

    def stream(text: str) -> Iterator[NDArray[np.float32]]:
        chunks = voice.synthesize(text) if noise else voice.synthesize(text, quiet)
        return (chunk.audio_float_array for chunk in chunks)

    def deterministic(text: str) -> NDArray[np.float32]:
        return np.concatenate([c.audio_float_array for c in voice.synthesize(text, quiet)])

    return Engine(
        PEER, "fp32", PEER, voice.config.sample_rate, model.stat().st_size, stream, deterministic
    )


def load_engines(
    voice: Voice,
    variants: Sequence[str],
    backends: Sequence[str],
    *,
    threads: int | None = None,
    device: str = "cpu",
    chunk_ms: float | None = None,
    include_peer: bool = True,
    precisions: Sequence[str] = ("auto",),
    noise: bool = True,
) -> list[Engine]:
    """piper-tts (when installed) first, then every variant on every backend it runs on,
    in each of ``precisions`` that gives the graphs other precisions (see
    :mod:`edgetts.hardware`); ``noise=False`` synthesises with noise 0 (repeatable)."""
    stored = stored_variants(voice)
    makers: list[Callable[[], Engine | None]] = []
    if include_peer:
        makers.append(functools.partial(_piper_engine, voice.model_path, noise))
    for variant in variants:
        size = stored[variant].size_bytes if variant in stored else voice.model_path.stat().st_size
        bf16 = stored[variant].bf16_graphs if variant in stored else ()
        for backend in backends:
            if variant in stored and not stored[variant].runs_on(backend):
                continue
            seen: list[dict[str, str]] = []
            for precision in precisions:
                chosen = graph_precisions(backend, precision, bf16, GRAPHS)
                if chosen in seen:
                    continue
                seen.append(chosen)
                makers.append(
                    functools.partial(
                        _edgetts_engine,
                        voice,
                        variant,
                        size,
                        backend,
                        threads=threads,
                        device=device,
                        chunk_ms=chunk_ms,
                        precision=precision,
                        noise=noise,
                    )
                )
    engines = []
    for make in makers:
        before, start = _rss_mb(), time.perf_counter()
        engine = make()
        if engine is None:
            print(
                f"{PEER} is not installed: no peer in this run (pip install 'edgetts[bench]')",
                file=sys.stderr,
            )
            continue
        engine.load_seconds = time.perf_counter() - start
        engine.rss_added_mb = max(0.0, _rss_mb() - before)
        engines.append(engine)
    return engines


def run_interleaved(
    engines: Sequence[Engine],
    sentences: Sequence[str],
    *,
    warmup: int = 2,
    tick: Callable[[], None] | None = None,
) -> list[EngineRun]:
    """Time every engine on every sentence, interleaved; keep the audio."""
    runs = [EngineRun(e) for e in engines]
    for engine in engines:
        for text in sentences[:warmup]:
            for _ in engine.stream(text):
                pass
    for i, text in enumerate(sentences):
        shift = i % len(runs)
        for run in runs[shift:] + runs[:shift]:
            chunks = []
            time.sleep(SETTLE_S)
            start = time.perf_counter()
            first = None
            for chunk in run.engine.stream(text):
                first = time.perf_counter() - start if first is None else first
                chunks.append(chunk)
            run.latencies.append(time.perf_counter() - start)
            run.first_audio.append(first if first is not None else run.latencies[-1])
            run.audio.append(np.concatenate(chunks) if chunks else np.zeros(0, np.float32))
            if tick:
                tick()
    return runs
