"""The Redis connection used by services: one pool per process, bound from the app config.

Redis holds only what can be rebuilt (quotes, the token blocklist, rate-limit counters, locks,
caches); nothing here is a source of truth.
"""

from __future__ import annotations

from typing import Any

import redis
from flask import current_app, has_app_context


def connect(url: str) -> redis.Redis:
    """Return a client for a URL (short timeouts: Redis is local and fast, or down)."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=30,
    )


class RedisStore:
    """A Flask-style extension: each app gets its own client, built from its REDIS_URL."""

    def __init__(self) -> None:
        self._fallback: redis.Redis | None = None

    def init_app(self, app: Any) -> None:
        """Build the app's client and register it in app.extensions."""
        client = connect(app.config["REDIS_URL"])
        app.extensions["redis"] = client
        self._fallback = client

    @property
    def client(self) -> redis.Redis:
        """Return the current app's client (outside an app context: the last app's)."""
        if has_app_context():
            client: redis.Redis = current_app.extensions["redis"]
            return client
        if self._fallback is None:
            raise RuntimeError("RedisStore used before init_app()")
        return self._fallback


redis_store = RedisStore()
