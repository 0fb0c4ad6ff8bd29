"""The HTTP API: OpenAI's ``/v1/audio/speech`` and friends, over an engine pool.

A request is validated into the library's own arguments, admitted to its
voice's pool (429 with ``Retry-After`` when the wait queue is full), and
synthesised in a worker thread that hands chunks to the response as the
library streams them (``chunk_ms``: the first bytes leave after the first
window of the first sentence). The response starts only once the first chunk
exists, so an error before it gets its proper status and OpenAI-style JSON; a
client that goes away cancels the synthesis at the next chunk; a request
past its deadline is cut off. User input never gets a 500.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from ..config import SynthesisConfig
from ..speech import Audio
from ..ssml import is_ssml, parse_ssml
from ..text import check_text
from .encode import Encoder, media_type
from .metrics import Metrics
from .pool import Busy, EnginePool, ServerSettings

#: A pool, or what makes one on first use (each Ray replica makes its own).
PoolSource = EnginePool | Callable[[], EnginePool]

__all__ = ["ServerSettings", "create_app"]

_LOGGER = logging.getLogger(__name__)

MODELS = ("edgetts", "tts-1", "tts-1-hd", "gpt-4o-mini-tts")  # OpenAI's names are aliases
_BUFFERED_CHUNKS = 4  # chunks a worker may run ahead of a slow client


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param


def _error_body(status: int, message: str, code: str, param: str | None) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


@dataclass
class _Request:
    text: str
    voice: str
    response_format: str
    speed: float
    stream_format: str
    words: bool = False


def check_input(text: str) -> None:
    """Raise ``ValueError`` for text that cannot be spoken, before any engine is taken."""
    check_text(text)
    if is_ssml(text):
        parse_ssml(text)


def _chunks(
    pool: EnginePool, request: _Request, deadline: float, cancel: threading.Event
) -> Iterator[Audio]:
    """The request's audio chunks, on an engine of its voice (runs in a worker thread)."""
    with pool.engine(request.voice, max(0.0, deadline - time.monotonic())) as tts:
        # The first bytes always wait for one window only. With requests queued
        # behind this one, its later sentences come whole: windows cost the CPU
        # more, and here the first audio of those waiting matters more.
        # No peak scaling either way, so a voice's level does not depend on load.
        chunk_ms = pool.chunk_ms[request.voice]
        queued = chunk_ms is not None and pool.waiting(request.voice) > 0
        chunks = tts.stream(
            request.text,
            syn_config=SynthesisConfig(speed=request.speed, peak_normalize=False),
            chunk_ms=chunk_ms,
            timestamps=request.words,
            windowed_sentences=1 if queued else None,
        )
        try:
            for chunk in chunks:
                if cancel.is_set():
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError("the request ran past its deadline")
                yield chunk
        finally:
            getattr(chunks, "close", lambda: None)()  # a cancelled request stops here


class SpeechRequest(BaseModel):
    """OpenAI's speech request; ``voice`` may be omitted for the server's first voice."""

    model: str = "edgetts"
    input: str
    voice: str | None = None
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = "mp3"
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    stream_format: Literal["audio", "sse"] = "audio"
    instructions: str | None = None  # OpenAI's style prompt: not supported, ignored


_DONE = object()


class _Service:
    """Requests -> admitted synthesis -> chunks, shared by the endpoints."""

    def __init__(self, pool: PoolSource, settings: ServerSettings) -> None:
        self.settings = settings
        self._source = pool
        self._pool: EnginePool | None = pool if isinstance(pool, EnginePool) else None
        self._made = threading.Lock()
        self.metrics = Metrics(lambda: self._pool.queue_depth() if self._pool else 0)
        self._executor: ThreadPoolExecutor | None = None

    @property
    def pool(self) -> EnginePool:
        """The engines, made on first use where a factory was given (a Ray replica)."""
        with self._made:
            if self._pool is None:
                source = self._source
                self._pool = source if isinstance(source, EnginePool) else source()
            return self._pool

    @property
    def threads(self) -> ThreadPoolExecutor:
        # One thread per admitted request at most, reused: a new thread per request
        # gives the allocator a new arena each time (RSS grew 27% in a soak).
        capacity = self.pool.capacity
        with self._made:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(capacity, thread_name_prefix="edgetts")
            return self._executor

    def error(self, status: int, message: str, code: str, param: str | None = None) -> Response:
        retry = {"Retry-After": str(self.settings.retry_after_s)} if status in (429, 503) else None
        self.metrics.errors.labels(code).inc()
        return JSONResponse(_error_body(status, message, code, param), status, headers=retry)

    def parse(self, body: SpeechRequest, *, words: bool = False) -> _Request:
        voice = body.voice or self.pool.default_voice
        if body.model not in MODELS:
            raise ApiError(
                404,
                f"model {body.model!r} does not exist; models: {list(MODELS)}",
                "model_not_found",
                "model",
            )
        if voice not in self.pool.voices:
            raise ApiError(
                404,
                f"voice {voice!r} is not served; voices: {list(self.pool.voices)}",
                "voice_not_found",
                "voice",
            )
        if len(body.input) > self.settings.max_input:
            raise ApiError(
                413,
                f"input has {len(body.input)} characters; the limit is {self.settings.max_input}",
                "input_too_long",
                "input",
            )
        try:
            check_input(body.input)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, str(exc), "invalid_input", "input") from exc
        return _Request(
            body.input, voice, body.response_format, body.speed, body.stream_format, words
        )

    async def start(
        self, request: _Request, endpoint: str
    ) -> tuple[AsyncGenerator[Audio, None], Audio]:
        """Admit ``request``, start its worker, and wait for its first chunk."""
        try:
            self.pool.admit(request.voice)
        except Busy as exc:
            raise ApiError(
                429, f"{exc}; retry after {self.settings.retry_after_s} s", "rate_limit_exceeded"
            ) from exc
        self.metrics.requests.labels(endpoint).inc()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        room = threading.Semaphore(_BUFFERED_CHUNKS)
        cancel = threading.Event()
        began = time.monotonic()
        deadline = began + self.settings.deadline_s

        def work() -> None:
            try:
                for chunk in _chunks(self.pool, request, deadline, cancel):
                    room.acquire()
                    loop.call_soon_threadsafe(queue.put_nowait, chunk)
            except BaseException as exc:  # handed to the response, which decides the status
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            loop.call_soon_threadsafe(queue.put_nowait, _DONE)

        self.threads.submit(work)

        async def take() -> Any:
            item = await queue.get()
            if isinstance(item, Audio):
                room.release()
            return item

        first = await take()
        if not isinstance(first, Audio):
            cancel.set()
            raise _as_api_error(first)
        self.metrics.first_audio.labels(endpoint).observe(time.monotonic() - began)

        async def rest() -> AsyncGenerator[Audio, None]:
            try:
                while isinstance(item := await take(), Audio):
                    yield item
                if isinstance(item, BaseException):
                    _LOGGER.warning("request cut off after its first bytes: %s", item)
                    self.metrics.errors.labels("stream_cut").inc()
            finally:
                cancel.set()  # the client left, or the stream ended
                room.release()  # a worker blocked on a full buffer sees the cancel
                self.metrics.latency.labels(endpoint).observe(time.monotonic() - began)

        return rest(), first

    async def encoded(
        self, request: _Request, endpoint: str
    ) -> AsyncIterator[tuple[bytes, Audio | None]]:
        """The request's container bytes, each with the chunk they encode (None: trailer)."""
        rest, first = await self.start(request, endpoint)
        encoder = Encoder(request.response_format, first.sample_rate)

        async def chunks() -> AsyncIterator[Audio]:
            yield first
            async for chunk in rest:
                yield chunk

        async def body() -> AsyncIterator[tuple[bytes, Audio | None]]:
            try:
                async for chunk in chunks():
                    self.metrics.audio_seconds.inc(chunk.duration)
                    yield encoder.encode(chunk.samples), chunk
                yield encoder.finish(), None
            finally:
                encoder.close()
                await rest.aclose()

        return body()


def _as_api_error(failure: object) -> ApiError:
    """The HTTP error for what a worker raised before any audio."""
    if isinstance(failure, TimeoutError):
        return ApiError(503, str(failure), "timeout")
    if isinstance(failure, (ValueError, TypeError)):
        return ApiError(400, str(failure), "invalid_input", "input")
    _LOGGER.error(
        "synthesis failed", exc_info=failure if isinstance(failure, BaseException) else None
    )
    return ApiError(500, "synthesis failed", "synthesis_failed")


def _sse(stream: AsyncIterator[tuple[bytes, Audio | None]]) -> AsyncIterator[bytes]:
    async def events() -> AsyncIterator[bytes]:
        async for data, _ in stream:
            if data:
                delta = {"type": "speech.audio.delta", "audio": base64.b64encode(data).decode()}
                yield f"data: {json.dumps(delta)}\n\n".encode()
        yield f"data: {json.dumps({'type': 'speech.audio.done'})}\n\n".encode()

    return events()


def _captions(stream: AsyncIterator[tuple[bytes, Audio | None]]) -> AsyncIterator[bytes]:
    async def lines() -> AsyncIterator[bytes]:
        async for data, chunk in stream:
            words = (
                []
                if chunk is None
                else [
                    {
                        "word": w.word,
                        "start": round(chunk.offset + w.start, 3),
                        "end": round(chunk.offset + w.end, 3),
                    }
                    for w in chunk.words
                ]
            )
            yield (
                json.dumps({"audio": base64.b64encode(data).decode(), "words": words}) + "\n"
            ).encode()

    return lines()


def create_app(pool: PoolSource, settings: ServerSettings | None = None) -> FastAPI:
    """The FastAPI application serving ``pool`` (or the pool that ``pool()`` makes, on
    first use: each Ray replica makes its own)."""
    service = _Service(pool, settings or ServerSettings())
    app = FastAPI(title="edgetts", version="1")

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> Response:
        return service.error(exc.status, exc.message, exc.code, exc.param)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
        return service.error(422, f"{where}: {first.get('msg', 'invalid')}", "invalid_value", where)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> Response:
        code = "not_found" if exc.status_code == 404 else "http_error"
        return service.error(exc.status_code, str(exc.detail), code)

    @app.post("/v1/audio/speech")
    async def speech(body: SpeechRequest) -> Response:
        request = service.parse(body)
        stream = await service.encoded(request, "speech")
        if request.stream_format == "sse":
            return StreamingResponse(_sse(stream), media_type="text/event-stream")
        audio = (data async for data, _ in stream if data)
        return StreamingResponse(audio, media_type=media_type(request.response_format))

    @app.post("/v1/audio/speech/captioned")
    async def captioned(body: SpeechRequest) -> Response:
        """JSON lines: base64 audio in ``response_format`` and the words it holds."""
        stream = await service.encoded(service.parse(body, words=True), "captioned")
        return StreamingResponse(_captions(stream), media_type="application/x-ndjson")

    @app.get("/v1/audio/voices")
    async def voices() -> dict[str, Any]:
        return {
            "voices": [
                {
                    "id": name,
                    "name": name,
                    "variant": service.pool.variant(name),
                    "sample_rate": voice.config.sample_rate,
                    "language": voice.config.espeak_voice,
                }
                for name, voice in service.pool.voices.items()
            ]
        }

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        data = [{"id": m, "object": "model", "owned_by": "edgetts"} for m in MODELS]
        return {"object": "list", "data": data}

    @app.get("/health")
    async def health() -> dict[str, Any]:
        pool = service.pool
        return {"status": "ok", "voices": list(pool.voices), "queue_depth": pool.queue_depth()}

    @app.get("/metrics")
    async def prometheus() -> Response:
        data, mime = service.metrics.render()
        return Response(data, media_type=mime)

    return app
