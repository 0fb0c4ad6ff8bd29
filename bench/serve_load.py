"""Load on `edgetts serve` over loopback, beside piper-tts's own HTTP server.

    edgetts serve --workers 1 --queue 4 &
    python -m piper.http_server -m VOICE.onnx --port 5000 &     # the peer (needs flask)
    python bench/serve_load.py --peer http://127.0.0.1:5000 --server-pid PID \
        --requests 24 --clients 1 2 4 --cancel-storm 500

For each number of concurrent clients: time to first byte p50/p99, total
latency p50, audio seconds served per wall second, errors, and (with
``--server-pid``) the server's resident memory before and after. Both servers
answer WAV, so neither pays for an encoder the other does not. A polite
client waits ``Retry-After`` on a 429 (counted). ``--cancel-storm N`` then
opens N streams that hang up after the first chunk and checks that no work is
left queued and what memory they left. Requests are bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from edgetts.eval import dev_sentences
from edgetts.eval.sysinfo import cpu_model

MAX_RETRIES = 5
WAV_HEADER = 44


@dataclass
class Result:
    status: int
    busy: int
    first: float
    total: float
    audio_s: float


@dataclass
class RssLog:
    """The server's RSS every ``every`` requests."""

    pid: int
    every: int
    samples: list[tuple[int, float]]

    def sample(self, served: int) -> None:
        if served % self.every == 0 and (mb := _rss_mb(self.pid)) is not None:
            self.samples.append((served, mb))


def _rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


async def _one(client: httpx.AsyncClient, url: str, text: str, peer: bool) -> Result:
    if peer:  # piper-tts's http_server: POST /synthesize {"text"} -> WAV
        target, body = f"{url}/synthesize", {"text": text}
    else:
        target = f"{url}/v1/audio/speech"
        body = {"model": "tts-1", "input": text, "response_format": "wav"}
    start = time.perf_counter()
    for busy in range(MAX_RETRIES + 1):
        first, size, rate = None, 0, 22050
        async with client.stream("POST", target, json=body) as response:
            async for data in response.aiter_bytes():
                first = first or time.perf_counter() - start
                if size == 0 and len(data) >= 28:
                    rate = int.from_bytes(data[24:28], "little")
                size += len(data)
        if response.status_code != 429 or busy == MAX_RETRIES:
            break
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))
    audio = max(0, size - WAV_HEADER) / 2 / rate if response.status_code == 200 else 0.0
    return Result(response.status_code, busy, first or 0.0, time.perf_counter() - start, audio)


def varied_texts(count: int, seed: int = 0) -> list[str]:
    """``count`` requests of realistic, varied lengths: 3 words to two sentences."""
    sentences, rng = dev_sentences(), random.Random(seed)
    texts = []
    for _ in range(count):
        words = " ".join(rng.sample(sentences, rng.choice((1, 1, 2)))).split()
        texts.append(" ".join(words[: rng.randint(min(3, len(words)), len(words))]))
    return texts


async def _level(
    url: str, peer: bool, clients: int, requests: int, texts: list[str], *, rss: RssLog | None
) -> str:
    async with httpx.AsyncClient(timeout=60) as client:
        queue = list(range(requests))[::-1]
        results: list[Result] = []

        async def worker() -> None:
            while queue:
                i = queue.pop()
                results.append(await _one(client, url, texts[i % len(texts)], peer))
                if rss is not None and not peer:
                    rss.sample(len(results))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - started
    ok = [r for r in results if r.status == 200]
    firsts = sorted(r.first for r in ok) or [float("nan")]
    p99 = firsts[min(len(firsts) - 1, round(0.99 * (len(firsts) - 1)))]
    return (
        f"| {'piper-tts http_server' if peer else 'edgetts serve'} | {clients} | "
        f"{len(ok)}/{len(results)} | {sum(r.busy for r in results)} | "
        f"{1000 * statistics.median(firsts):.0f} | {1000 * p99:.0f} | "
        f"{1000 * statistics.median(r.total for r in ok):.0f} | "
        f"{sum(r.audio_s for r in ok) / wall:.1f} |"
    )


async def _cancel_storm(url: str, count: int, parallel: int, text: str) -> str:
    """``count`` streams that hang up after their first chunk, ``parallel`` at a time."""
    gate = asyncio.Semaphore(parallel)
    body = {"model": "tts-1", "input": text, "response_format": "pcm"}

    async with httpx.AsyncClient(timeout=60) as client:

        async def one() -> int:
            async with gate, client.stream("POST", f"{url}/v1/audio/speech", json=body) as r:
                async for _ in r.aiter_bytes():
                    break  # hang up
                return r.status_code

        statuses = await asyncio.gather(*(one() for _ in range(count)))
        await asyncio.sleep(2)
        health = (await client.get(f"{url}/health")).json()
    answered, busy = sum(s == 200 for s in statuses), sum(s == 429 for s in statuses)
    return (
        f"{count} streams, {parallel} at a time: {answered} answered then cancelled after the "
        f"first chunk, {busy} told to wait (429); queue depth after: {health['queue_depth']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8880")
    parser.add_argument("--peer", default=None, help="piper-tts http_server URL")
    parser.add_argument("--server-pid", type=int, default=None, help="edgetts serve's pid (RSS)")
    parser.add_argument("--requests", type=int, default=24, help="per level and server")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--cancel-storm", type=int, default=0, help="streams to hang up on")
    parser.add_argument("--storm-parallel", type=int, default=4, help="of them at a time")
    parser.add_argument(
        "--texts", type=int, default=0, help="distinct texts of varied length (0: 24 sentences)"
    )
    parser.add_argument("--rss-every", type=int, default=0, help="sample RSS every N requests")
    parser.add_argument(
        "--server", default="edgetts serve --workers 1 --queue 4", help="how it was started"
    )
    args = parser.parse_args()
    texts = varied_texts(args.texts) if args.texts else dev_sentences()[:24]
    rss_before = _rss_mb(args.server_pid)
    rss = None
    if args.server_pid and args.rss_every:
        rss = RssLog(args.server_pid, args.rss_every, [])
    described = f"{args.texts} varied texts" if args.texts else "24 development sentences"
    print(
        f"CPU: {cpu_model()}; {args.requests} requests per level of {described}, WAV, "
        f"loopback; {args.server}\n"
    )
    print(
        "| server | clients | answered | 429s waited | first byte p50 ms | p99 ms "
        "| total p50 ms | audio s per wall s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for clients in args.clients:
        for peer in [False, True] if args.peer else [False]:
            url = args.peer if peer else args.url
            row = asyncio.run(_level(url, peer, clients, args.requests, texts, rss=rss))
            print(row, flush=True)
    rss_after = _rss_mb(args.server_pid)
    if rss_before is not None and rss_after is not None:
        print(f"\nedgetts serve RSS: {rss_before:.0f} MB before, {rss_after:.0f} MB after the load")
    if rss is not None and rss.samples:
        print("\n| requests served | RSS MB |\n|---|---|")
        print("\n".join(f"| {served} | {mb:.0f} |" for served, mb in rss.samples))
    if args.cancel_storm:
        text = " ".join(texts[:6])
        storm = asyncio.run(_cancel_storm(args.url, args.cancel_storm, args.storm_parallel, text))
        rss = _rss_mb(args.server_pid)
        print(f"\ncancellation storm: {storm}" + (f"; RSS {rss:.0f} MB" if rss else ""))


if __name__ == "__main__":
    main()
