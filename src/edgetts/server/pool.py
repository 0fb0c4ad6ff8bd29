"""Engines for a server: a fixed pool per voice, a bounded wait, threads that fit.

Each voice gets ``workers`` :class:`~edgetts.EdgeTTS` instances, each with
``cores // workers`` runtime threads, so busy workers never oversubscribe the
CPU. A request takes an engine for the whole of its synthesis; at most
``queue`` more requests wait for one, and anything beyond that is refused at
once (the HTTP layer answers 429 with ``Retry-After``) rather than queued
without bound.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from ..tts import EdgeTTS
from ..voice import Voice

__all__ = ["CHUNK_MS", "Busy", "EnginePool", "PoolSettings", "ServerSettings"]


class Busy(Exception):
    """Every engine is in use and the wait queue is full."""


@dataclass(frozen=True)
class PoolSettings:
    voices: Sequence[str | None] = (None,)  # names or paths; None: the default voice
    workers: int = 1
    queue: int = 8
    backend: str = "auto"
    variant: str | None = None  # None: each voice's default


@dataclass(frozen=True)
class ServerSettings:
    """Per-request limits (the CLI's defaults come from here)."""

    max_input: int = 4096  # characters of `input`
    deadline_s: float = 60.0  # per request, from admission to the last byte
    retry_after_s: int = 1


CHUNK_MS = 100.0  # the first window's length: what the first bytes wait for


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class EnginePool:
    """``workers`` engines per voice, shared by request threads."""

    def __init__(self, settings: PoolSettings) -> None:
        if settings.workers < 1 or settings.queue < 0:
            raise ValueError(
                f"workers must be >= 1 and queue >= 0, got {settings.workers} and {settings.queue}"
            )
        self.settings = settings
        threads = max(1, _cores() // settings.workers)
        self._free: dict[str, list[EdgeTTS]] = {}
        self.chunk_ms: dict[str, float | None] = {}
        self.voices: dict[str, Voice] = {}
        for voice in settings.voices:
            engines = [
                EdgeTTS(voice, backend=settings.backend, threads=threads, variant=settings.variant)
                for _ in range(settings.workers)
            ]
            name = engines[0].voice.name
            self._free[name] = engines
            # Windows inside sentences where the voice splits, else whole sentences.
            self.chunk_ms[name] = CHUNK_MS if engines[0].streams_inside_sentences else None
            self.voices[name] = engines[0].voice
        self._capacity = settings.workers + settings.queue
        #: Requests that may be admitted at once, over all voices.
        self.capacity = self._capacity * len(self._free)
        self._cond = threading.Condition()
        self._admitted = dict.fromkeys(self._free, 0)
        self.default_voice = next(iter(self._free))

    def variant(self, voice: str) -> str:
        return self._free[voice][0].variant if self._free[voice] else "?"

    def queue_depth(self) -> int:
        """Requests admitted and waiting for an engine (all voices)."""
        with self._cond:  # one consistent count over all voices (waiting re-enters)
            return sum(self.waiting(v) for v in self._free)

    def waiting(self, voice: str) -> int:
        """Requests for ``voice`` admitted and waiting for an engine."""
        with self._cond:
            busy = self.settings.workers - len(self._free[voice])
            return max(0, self._admitted[voice] - busy)

    def admit(self, voice: str) -> None:
        """Count a request in for ``voice``, or raise :class:`Busy` when the queue is full."""
        with self._cond:
            if self._admitted[voice] >= self._capacity:
                raise Busy(f"all {self.settings.workers} engines of {voice} are busy")
            self._admitted[voice] += 1

    def leave(self, voice: str) -> None:
        """Count an admitted request out that will not take an engine."""
        with self._cond:
            self._admitted[voice] -= 1
            self._cond.notify()

    @contextmanager
    def engine(self, voice: str, timeout: float) -> Iterator[EdgeTTS]:
        """An engine of ``voice`` for the block, for a request already admitted;
        :class:`TimeoutError` when none frees up within ``timeout`` seconds."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._free[voice]), timeout):
                self._admitted[voice] -= 1
                raise TimeoutError(f"no engine of {voice} was free within {timeout:.0f} s")
            tts = self._free[voice].pop()
        try:
            yield tts
        finally:
            with self._cond:
                self._free[voice].append(tts)
                self._admitted[voice] -= 1
                self._cond.notify_all()
