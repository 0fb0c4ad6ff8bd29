"""The same HTTP app as a Ray Serve deployment: replicas that scale with load.

    pip install ".[openvino,server,ray]"
    edgetts serve --ray --replicas 1 4          # min and max replicas, local Ray
    serve run edgetts.server.ray_app:app        # or on a running Ray cluster

Each replica makes its own :class:`EnginePool` on its first request and serves
the FastAPI app of :mod:`edgetts.server.app` through ``serve.ingress``, so
every endpoint, error and streaming response is the one ``edgetts serve``
gives; Ray's proxy streams the chunks as they come. Autoscaling follows the
requests in flight per replica.
"""

from __future__ import annotations

import functools
from typing import Any

from ray import serve

from .app import create_app
from .pool import EnginePool, PoolSettings, ServerSettings

__all__ = ["app", "deployment"]


def deployment(
    pool_settings: PoolSettings | None = None,
    settings: ServerSettings | None = None,
    *,
    replicas: tuple[int, int] = (1, 2),
    cpus_per_replica: float = 1.0,
) -> Any:
    """A bound Ray Serve application serving edgetts's HTTP API."""
    pool_settings = pool_settings or PoolSettings()
    low, high = replicas
    if not 1 <= low <= high:
        raise ValueError(f"replicas must be (min, max) with 1 <= min <= max, got {replicas!r}")
    api = create_app(functools.partial(EnginePool, pool_settings), settings)

    @serve.deployment(
        autoscaling_config={
            "min_replicas": low,
            "max_replicas": high,
            "target_ongoing_requests": pool_settings.workers,
        },
        max_ongoing_requests=pool_settings.workers + pool_settings.queue,
        ray_actor_options={"num_cpus": cpus_per_replica},
    )
    @serve.ingress(api)
    class EdgeTTSDeployment:
        """One replica: its pool is made on its first request."""

    bound: Any = EdgeTTSDeployment  # serve.deployment made it a Deployment
    return bound.bind()


app = deployment()
