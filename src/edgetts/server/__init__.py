"""``edgetts serve``: the OpenAI speech API and the Wyoming protocol over an engine pool.

Needs the ``server`` extra (FastAPI, uvicorn, PyAV, prometheus-client, wyoming).
"""

from __future__ import annotations

from typing import Any

from .pool import EnginePool, PoolSettings, ServerSettings

__all__ = ["EnginePool", "PoolSettings", "ServerSettings", "create_app", "serve"]


def create_app(pool: EnginePool, settings: ServerSettings | None = None) -> Any:
    """The FastAPI application serving ``pool`` (see :mod:`edgetts.server.app`)."""
    from .app import create_app as make

    return make(pool, settings)


def serve(
    pool_settings: PoolSettings,
    settings: ServerSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8880,
    wyoming: str | None = None,
    ray_replicas: tuple[int, int] | None = None,
) -> None:
    """Run the HTTP API (and Wyoming on the URI ``wyoming``) until SIGINT/SIGTERM, then
    stop accepting and let in-flight requests finish (up to their deadline)."""
    import asyncio

    import uvicorn

    if ray_replicas is not None:
        _serve_on_ray(pool_settings, settings, host, port, ray_replicas)
        return
    pool = EnginePool(pool_settings)
    config = uvicorn.Config(
        create_app(pool, settings),
        host=host,
        port=port,
        timeout_graceful_shutdown=int(settings.deadline_s),
        log_level="info",
    )
    server = uvicorn.Server(config)

    async def main() -> None:
        if wyoming is None:
            await server.serve()
            return
        from .wyoming import run_wyoming

        task = asyncio.create_task(run_wyoming(pool, settings, wyoming))
        try:
            await server.serve()
        finally:
            task.cancel()

    asyncio.run(main())


def _serve_on_ray(
    pool_settings: PoolSettings,
    settings: ServerSettings,
    host: str,
    port: int,
    replicas: tuple[int, int],
) -> None:
    """Start a local Ray (or join ``RAY_ADDRESS``) and run the app as a deployment."""
    import ray
    from ray import serve

    from .ray_app import deployment

    ray.init(include_dashboard=False, ignore_reinit_error=True)
    serve.start(http_options={"host": host, "port": port})
    serve.run(deployment(pool_settings, settings, replicas=replicas), blocking=True)
