"""Load on `edgetts serve` over loopback: time to first byte and total latency
with 1, 2 and 4 concurrent clients, and how often they were told to wait (429).

    edgetts serve --workers 1 --queue 2 &      # in another shell
    python bench/serve_load.py [--url http://127.0.0.1:8880] [--requests 12]

Requests are bounded in number and time; the sentences are the development set's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from edgetts.eval import dev_sentences
from edgetts.sysinfo import cpu_model

MAX_RETRIES = 5


async def _one(client: httpx.AsyncClient, url: str, text: str) -> tuple[int, int, float, float]:
    """Status, 429s met on the way (a polite client waits Retry-After), first byte, total."""
    start = time.perf_counter()
    body = {"model": "tts-1", "input": text, "response_format": "mp3"}
    for busy in range(MAX_RETRIES + 1):
        first = None
        async with client.stream("POST", f"{url}/v1/audio/speech", json=body) as response:
            async for _ in response.aiter_bytes():
                first = first or time.perf_counter() - start
        if response.status_code != 429 or busy == MAX_RETRIES:
            break
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))
    return response.status_code, busy, first or 0.0, time.perf_counter() - start


async def _level(url: str, clients: int, requests: int, texts: list[str]) -> str:
    async with httpx.AsyncClient(timeout=60) as client:
        queue = list(range(requests))
        results: list[tuple[int, int, float, float]] = []

        async def worker() -> None:
            while queue:
                i = queue.pop()
                results.append(await _one(client, url, texts[i % len(texts)]))

        await asyncio.gather(*(worker() for _ in range(clients)))
    ok = [r for r in results if r[0] == 200]
    busy = sum(r[1] for r in results)
    first = 1000 * statistics.median(r[2] for r in ok) if ok else float("nan")
    total = 1000 * statistics.median(r[3] for r in ok) if ok else float("nan")
    return f"| {clients} | {len(ok)} of {len(results)} | {busy} | {first:.0f} | {total:.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8880")
    parser.add_argument("--requests", type=int, default=12)
    parser.add_argument(
        "--server", default="edgetts serve --workers 1 --queue 2", help="how it was started"
    )
    args = parser.parse_args()
    texts = dev_sentences()[:12]
    print(f"CPU: {cpu_model()}; {args.requests} requests per level, mp3, loopback; {args.server}\n")
    print(
        "| clients | answered 200 | 429s (then waited Retry-After) "
        "| first byte ms (median, incl. waits) | total ms (median) |"
    )
    print("|---|---|---|---|---|")
    for clients in (1, 2, 4):
        print(asyncio.run(_level(args.url, clients, args.requests, texts)))


if __name__ == "__main__":
    main()
