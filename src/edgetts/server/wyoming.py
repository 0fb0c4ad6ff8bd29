"""The Wyoming protocol (Home Assistant's voice pipeline) over the same engine pool.

``describe`` answers with the served voices; ``synthesize`` streams
``audio-start``, 16-bit PCM ``audio-chunk`` events as the library yields its
windows, and ``audio-stop``. Streaming text (``synthesize-start`` /
``-chunk`` / ``-stop``) is collected and spoken when it stops, answered with
``synthesize-stopped``. Requests run concurrently up to the pool's size
(wyoming-piper serialises them behind one lock) and never touch a temporary
file.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Attribution, Describe, Info, TtsProgram, TtsVoice
from wyoming.server import AsyncEventHandler, AsyncServer
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
)

from ..audio import to_int16
from .app import _chunks, _Request, check_input
from .pool import CHUNK_MS, Busy, EnginePool, ServerSettings

__all__ = ["run_wyoming"]

_LOGGER = logging.getLogger(__name__)
_ATTRIBUTION = Attribution(name="edgetts", url="https://github.com/")


def _info(pool: EnginePool) -> Info:
    voices = [
        TtsVoice(
            name=name,
            description=f"{name} ({pool.variant(name)} variant)",
            attribution=_ATTRIBUTION,
            installed=True,
            version=None,
            languages=[voice.config.espeak_voice],
        )
        for name, voice in pool.voices.items()
    ]
    program = TtsProgram(
        name="edgetts",
        description=f"edgetts, {CHUNK_MS:g} ms windows",
        attribution=_ATTRIBUTION,
        installed=True,
        version=None,
        voices=voices,
        supports_synthesize_streaming=True,
    )
    return Info(tts=[program])


class _Handler(AsyncEventHandler):
    def __init__(
        self, pool: EnginePool, settings: ServerSettings, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pool, self.settings = pool, settings
        self._streamed: list[str] | None = None  # text of a synthesize-start ... -stop
        self._voice: str | None = None

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.write_event(_info(self.pool).event())
        elif SynthesizeStart.is_type(event.type):
            start = SynthesizeStart.from_event(event)
            self._streamed, self._voice = [], start.voice.name if start.voice else None
        elif SynthesizeChunk.is_type(event.type) and self._streamed is not None:
            self._streamed.append(SynthesizeChunk.from_event(event).text)
        elif SynthesizeStop.is_type(event.type) and self._streamed is not None:
            text, self._streamed = "".join(self._streamed), None
            await self._speak(text, self._voice)
            await self.write_event(SynthesizeStopped().event())
        elif Synthesize.is_type(event.type) and self._streamed is None:
            request = Synthesize.from_event(event)  # (sent beside a stream: ignored then)
            await self._speak(request.text, request.voice.name if request.voice else None)
        return True

    async def _speak(self, text: str, voice: str | None) -> None:
        """Audio for ``text``, or an ``error`` event (before any audio) for bad input."""
        name = voice if voice in self.pool.voices else self.pool.default_voice
        try:
            if len(text) > self.settings.max_input:
                raise ValueError(
                    f"text has {len(text)} characters; the limit is {self.settings.max_input}"
                )
            check_input(text)
            self.pool.admit(name)
        except (TypeError, ValueError, Busy) as exc:
            code = "busy" if isinstance(exc, Busy) else "invalid-text"
            await self.write_event(Error(text=str(exc), code=code).event())
            return
        request = _Request(text, name, "pcm", 1.0, "audio")
        deadline = time.monotonic() + self.settings.deadline_s
        chunks = _chunks(self.pool, request, deadline, threading.Event())
        rate = self.pool.voices[name].config.sample_rate
        started = False
        try:
            while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
                if not started:
                    await self.write_event(AudioStart(rate=rate, width=2, channels=1).event())
                    started = True
                pcm = to_int16(chunk.samples).tobytes()
                await self.write_event(
                    AudioChunk(rate=rate, width=2, channels=1, audio=pcm).event()
                )
        except (ValueError, TypeError, TimeoutError) as exc:
            _LOGGER.warning("wyoming request failed: %s", exc)
            await self.write_event(Error(text=str(exc), code="synthesis-failed").event())
        finally:
            await asyncio.to_thread(getattr(chunks, "close", lambda: None))
        if started:
            await self.write_event(AudioStop().event())


async def run_wyoming(pool: EnginePool, settings: ServerSettings, uri: str) -> None:
    """Serve Wyoming on ``uri`` (e.g. ``tcp://127.0.0.1:10200``) until cancelled."""
    server = AsyncServer.from_uri(uri)
    _LOGGER.info("wyoming on %s", uri)
    await server.run(lambda *a, **k: _Handler(pool, settings, *a, **k))
