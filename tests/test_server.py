"""`edgetts serve`: the OpenAI speech API and Wyoming, on the tiny voice (and the real one)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import struct
from pathlib import Path

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient

from edgetts import EdgeTTS, SynthesisConfig
from edgetts.server import EnginePool, PoolSettings, ServerSettings, create_app
from edgetts.server.encode import Encoder

TEXT = "Hello there. How are you today?"


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> EnginePool:
    from generate_test_voice import write_voice

    voice = write_voice(tmp_path_factory.mktemp("server_voice"))
    return EnginePool(PoolSettings(voices=[str(voice)], workers=1, queue=0, backend="onnxruntime"))


@pytest.fixture(scope="module")
def client(pool: EnginePool) -> TestClient:
    return TestClient(create_app(pool, ServerSettings(max_input=200, deadline_s=30)))


@pytest.fixture(scope="module")
def expected(pool: EnginePool) -> np.ndarray:
    engine = EdgeTTS(pool.voices["tiny"].model_path, backend="onnxruntime")
    raw = SynthesisConfig(peak_normalize=False)  # the server's level, streamed or not
    return np.concatenate([c.samples for c in engine.stream(TEXT, syn_config=raw)])


@pytest.mark.parametrize(("waiting", "windowed"), [(0, None), (1, 1)])
def test_with_requests_queued_only_the_first_sentence_is_windowed(
    waiting: int, windowed: int | None
) -> None:
    import contextlib
    import threading

    from edgetts.server.app import _chunks, _Request

    asked: dict[str, object] = {}

    class Engine:
        def stream(self, text: str, **options: object) -> list[object]:
            asked.update(options)
            return []

    class Pool:
        def __init__(self) -> None:
            self.chunk_ms = {"v": 100.0}

        def waiting(self, voice: str) -> int:
            return waiting

        @contextlib.contextmanager
        def engine(self, voice: str, timeout: float):  # type: ignore[no-untyped-def]
            yield Engine()

    request = _Request("Hi.", "v", "pcm", 1.5, "audio")
    assert list(_chunks(Pool(), request, float("inf"), threading.Event())) == []  # type: ignore[arg-type]
    assert asked["chunk_ms"] == 100.0  # the first bytes wait for one window, loaded or not
    assert asked["windowed_sentences"] == windowed
    assert asked["syn_config"] == SynthesisConfig(speed=1.5, peak_normalize=False)


def _speech(client: TestClient, **body: object) -> object:
    return client.post("/v1/audio/speech", json={"model": "tts-1", "input": TEXT, **body})


def _float(samples: np.ndarray) -> np.ndarray:
    if samples.dtype.kind == "i":  # s16/s32 decoders: scale to [-1, 1]
        return samples.astype(np.float32) / np.iinfo(samples.dtype).max
    return samples.astype(np.float32)


def _decode(data: bytes) -> tuple[np.ndarray, int]:
    with av.open(io.BytesIO(data)) as container:
        frames = [_float(f.to_ndarray()).reshape(-1) for f in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
    return np.concatenate(frames), rate


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav"])
def test_every_container_streams_and_decodes_to_the_signal(fmt: str) -> None:
    rate = 22050
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    encoder = Encoder(fmt, rate)
    # Fed in uneven chunks, as the library's windows come.
    parts = [encoder.encode(tone[a:b]) for a, b in ((0, 2000), (2000, 2100), (2100, rate))]
    data = b"".join(parts) + encoder.finish()
    assert parts[0] or fmt in ("mp3", "aac", "opus", "flac")  # codecs hold whole frames
    decoded, decoded_rate = _decode(data)
    assert decoded_rate == (48000 if fmt == "opus" else rate)  # opus decodes at 48 kHz
    # Codecs add priming samples and pad whole frames (a stream cannot go back to
    # write gapless info): up to 100 ms more, never less.
    assert 0 <= len(decoded) / decoded_rate - 1.0 < 0.1, (fmt, len(decoded) / decoded_rate)
    spectrum = np.abs(np.fft.rfft(decoded[: decoded_rate // 2]))
    peak_hz = np.argmax(spectrum) * decoded_rate / (decoded_rate // 2)
    assert abs(peak_hz - 440) < 5, peak_hz
    assert np.sqrt(np.mean(decoded**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.2)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match=r"response_format 'ogg' is not supported; use one of"):
        Encoder("ogg", 22050)


def test_wav_streams_with_streaming_sizes_and_pcm_is_the_samples(
    client: TestClient, expected: np.ndarray
) -> None:
    wav = _speech(client, response_format="wav").content
    riff, size, wave = struct.unpack("<4sI4s", wav[:12])
    assert (riff, size, wave) == (b"RIFF", 0xFFFFFFFF, b"WAVE")
    assert struct.unpack("<I", wav[24:28])[0] == 16000
    pcm = np.frombuffer(_speech(client, response_format="pcm").content, np.int16)
    assert wav[44:] == pcm.tobytes()
    np.testing.assert_allclose(pcm / 32767, expected, atol=2 / 32767)


def test_sse_sends_deltas_then_done(client: TestClient, expected: np.ndarray) -> None:
    response = _speech(client, response_format="pcm", stream_format="sse")
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line]
    assert [e["type"] for e in events][-1] == "speech.audio.done"
    deltas = [e for e in events if e["type"] == "speech.audio.delta"]
    assert len(deltas) == 2  # one per sentence: the tiny voice cannot split
    audio = b"".join(base64.b64decode(e["audio"]) for e in deltas)
    assert len(audio) == 2 * len(expected)


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"voice": "alloy"}, 404, "voice_not_found", "voice"),
        ({"model": "whisper-1"}, 404, "model_not_found", "model"),
        ({"input": "x" * 201}, 413, "input_too_long", "input"),
        ({"input": "   "}, 400, "invalid_input", "input"),
        ({"input": "<speak><break time='1s'></speak>"}, 400, "invalid_input", "input"),
        ({"speed": 5}, 422, "invalid_value", "speed"),
        ({"speed": "fast"}, 422, "invalid_value", "speed"),
        ({"response_format": "ogg"}, 422, "invalid_value", "response_format"),
        ({"stream_format": "chunks"}, 422, "invalid_value", "stream_format"),
    ],
)
def test_bad_requests_get_openai_errors(
    client: TestClient, body: dict[str, object], status: int, code: str, param: str
) -> None:
    response = _speech(client, **body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"], error["type"]) == (code, param, "invalid_request_error")
    assert error["message"]


def test_missing_input_and_unknown_paths(client: TestClient) -> None:
    response = client.post("/v1/audio/speech", json={"model": "tts-1"})
    assert response.status_code == 422 and response.json()["error"]["param"] == "input"
    response = client.post(
        "/v1/audio/speech", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert client.get("/v1/nothing").json()["error"]["code"] == "not_found"


def test_over_capacity_is_429_with_retry_after(client: TestClient, pool: EnginePool) -> None:
    pool.admit("tiny")  # the one engine's slot (workers=1, queue=0) is taken
    try:
        response = _speech(client)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        assert response.json()["error"]["code"] == "rate_limit_exceeded"
    finally:
        pool.leave("tiny")
    assert _speech(client).status_code == 200


def test_a_client_that_leaves_frees_its_engine(client: TestClient, pool: EnginePool) -> None:
    long_text = " ".join(["This is one more sentence."] * 6)
    with client.stream(
        "POST", "/v1/audio/speech", json={"input": long_text, "response_format": "pcm"}
    ) as r:
        assert r.status_code == 200
        next(r.iter_bytes())  # the first sentence, then hang up
    # The only engine is back: the next request is admitted and answered.
    assert _speech(client, response_format="pcm").status_code == 200
    assert pool.queue_depth() == 0


def test_listing_health_and_metrics(client: TestClient) -> None:
    voices = client.get("/v1/audio/voices").json()["voices"]
    assert [v["id"] for v in voices] == ["tiny"] and voices[0]["sample_rate"] == 16000
    models = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert "tts-1" in models and "edgetts" in models
    assert client.get("/health").json()["status"] == "ok"
    _speech(client, response_format="pcm")
    metrics = client.get("/metrics").text
    for name in (
        "edgetts_requests_total",
        "edgetts_errors_total",
        "edgetts_queue_depth",
        "edgetts_time_to_first_audio_seconds_bucket",
        "edgetts_request_duration_seconds_bucket",
        "edgetts_audio_seconds_total",
    ):
        assert name in metrics, name
    produced = next(
        line for line in metrics.splitlines() if line.startswith("edgetts_audio_seconds_total")
    )
    assert float(produced.split()[-1]) > 0


def _wyoming(pool: EnginePool, requests: list[list[object]]) -> list[list[object]]:
    """Send each list of events on its own connection; the events that came back,
    up to ``audio-stop``, ``synthesize-stopped`` or ``error``."""
    from wyoming.client import AsyncTcpClient
    from wyoming.server import AsyncTcpServer

    from edgetts.server.wyoming import _Handler

    async def run() -> list[list[object]]:
        server = AsyncTcpServer("127.0.0.1", 0)
        await server.start(lambda *a, **k: _Handler(pool, ServerSettings(max_input=200), *a, **k))
        port = server._server.sockets[0].getsockname()[1]
        answers = []
        try:
            for events in requests:
                async with AsyncTcpClient("127.0.0.1", port) as wy:
                    for event in events:
                        await wy.write_event(event.event())  # type: ignore[attr-defined]
                    streamed = any(type(e).__name__ == "SynthesizeStop" for e in events)
                    ends = ("synthesize-stopped" if streamed else "audio-stop", "error", "info")
                    got = []
                    while not got or got[-1].type not in ends:
                        got.append(await asyncio.wait_for(wy.read_event(), 10))
                    answers.append(got)
        finally:
            await server.stop()
        return answers

    return asyncio.run(run())


def test_wyoming_describes_synthesizes_streams_and_refuses(
    pool: EnginePool, expected: np.ndarray
) -> None:
    from wyoming.audio import AudioChunk
    from wyoming.error import Error
    from wyoming.info import Describe, Info
    from wyoming.tts import (
        Synthesize,
        SynthesizeChunk,
        SynthesizeStart,
        SynthesizeStop,
        SynthesizeVoice,
    )

    streamed = [
        SynthesizeStart(voice=SynthesizeVoice(name="tiny")),
        SynthesizeChunk(text="Hello there. "),
        SynthesizeChunk(text="How are you today?"),
        SynthesizeStop(),
    ]
    described, whole, stream, bad, long = _wyoming(
        pool,
        [
            [Describe()],
            [Synthesize(text=TEXT)],
            streamed,
            [Synthesize(text="<speak><break time='1s'></speak>")],
            [Synthesize(text="x" * 201)],
        ],
    )
    program = Info.from_event(described[0]).tts[0]
    assert [v.name for v in program.voices] == ["tiny"] and program.supports_synthesize_streaming

    def pcm(events: list[object]) -> bytes:
        chunks = [e for e in events if AudioChunk.is_type(e.type)]  # type: ignore[attr-defined]
        return b"".join(AudioChunk.from_event(e).audio for e in chunks)

    assert whole[0].type == "audio-start" and whole[-1].type == "audio-stop"
    assert len(pcm(whole)) == 2 * len(expected)
    assert [e.type for e in stream][-2:] == ["audio-stop", "synthesize-stopped"]
    assert pcm(stream) == pcm(whole)
    for refused, why in ((bad, "mismatched tag"), (long, "the limit is 200")):
        assert [e.type for e in refused] == ["error"]  # no audio-start before it
        assert why in Error.from_event(refused[0]).text


@pytest.mark.slow
def test_the_real_voice_streams_inside_a_sentence_with_captions(tmp_path: Path) -> None:
    real = EnginePool(PoolSettings(workers=1, queue=1, backend="onnxruntime", variant="fp32"))
    with TestClient(create_app(real)) as client:
        text = "Turn left in two hundred meters, then keep right at the fork."
        response = client.post(
            "/v1/audio/speech/captioned", json={"input": text, "response_format": "pcm"}
        )
        lines = [json.loads(line) for line in response.text.splitlines()]
        assert len(lines) >= 3  # windows of one sentence, then the trailer
        words = [w["word"] for line in lines for w in line["words"]]
        assert words[:3] == ["Turn", "left", "in"]
        starts = [w["start"] for line in lines for w in line["words"]]
        assert starts == sorted(starts)
        for fmt in ("mp3", "opus"):
            response = client.post("/v1/audio/speech", json={"input": text, "response_format": fmt})
            decoded, rate = _decode(response.content)
            assert 2.0 < len(decoded) / rate < 6.0, (fmt, len(decoded) / rate)


def test_a_request_past_its_deadline_is_503_with_retry_after(pool: EnginePool) -> None:
    late = TestClient(create_app(pool, ServerSettings(deadline_s=0.0)))
    response = late.post("/v1/audio/speech", json={"input": TEXT, "response_format": "pcm"})
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "timeout"
    assert pool.queue_depth() == 0
