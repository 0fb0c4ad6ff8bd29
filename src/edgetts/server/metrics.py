"""Prometheus metrics of one server, in a registry of its own (tests run several)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Metrics"]

_SECONDS = (0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self, queue_depth: Callable[[], int]) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter(
            "edgetts_requests", "Synthesis requests accepted", ["endpoint"], registry=self.registry
        )
        self.errors = Counter(
            "edgetts_errors", "Requests answered with an error", ["code"], registry=self.registry
        )
        depth = Gauge(
            "edgetts_queue_depth", "Requests waiting for an engine", registry=self.registry
        )
        depth.set_function(queue_depth)
        self.first_audio = Histogram(
            "edgetts_time_to_first_audio_seconds",
            "From admission to the first chunk of audio",
            ["endpoint"],
            buckets=_SECONDS,
            registry=self.registry,
        )
        self.latency = Histogram(
            "edgetts_request_duration_seconds",
            "From admission to the last byte",
            ["endpoint"],
            buckets=_SECONDS,
            registry=self.registry,
        )
        self.audio_seconds = Counter(
            "edgetts_audio_seconds", "Seconds of audio produced", registry=self.registry
        )

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
