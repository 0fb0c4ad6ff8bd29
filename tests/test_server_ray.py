"""The HTTP app as a Ray Serve deployment, on a local Ray cluster over loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed")
from ray import serve  # noqa: E402

from edgetts.server import PoolSettings, ServerSettings  # noqa: E402
from edgetts.server.ray_app import deployment  # noqa: E402

pytestmark = pytest.mark.slow  # a Ray cluster takes about 15 s to start
PORT = 8765


@pytest.fixture(scope="module")
def url(tiny_voice: Path) -> Iterator[str]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": PORT})
        pool = PoolSettings(voices=[str(tiny_voice)], backend="onnxruntime")
        serve.run(deployment(pool, ServerSettings(max_input=100), replicas=(1, 1)))
        yield f"http://127.0.0.1:{PORT}"
    finally:
        serve.shutdown()
        ray.shutdown()


def test_the_deployment_serves_the_same_api(url: str) -> None:
    body = {"input": "Hello there. How are you?", "response_format": "pcm"}
    response = httpx.post(f"{url}/v1/audio/speech", json=body, timeout=60)
    assert response.status_code == 200 and len(response.content) == 2 * 448  # 56 ids x 8
    refused = httpx.post(f"{url}/v1/audio/speech", json={"input": "x" * 101}, timeout=60)
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "input_too_long"
    voices = httpx.get(f"{url}/v1/audio/voices", timeout=60).json()["voices"]
    assert [v["id"] for v in voices] == ["tiny"]


def test_the_deployment_streams_events(url: str) -> None:
    body = {"input": "One. Two. Three.", "response_format": "pcm", "stream_format": "sse"}
    with httpx.stream("POST", f"{url}/v1/audio/speech", json=body, timeout=60) as response:
        events = [json.loads(line[6:]) for line in response.iter_lines() if line]
    kinds = [e["type"] for e in events]
    assert kinds.count("speech.audio.delta") == 3 and kinds[-1] == "speech.audio.done"
