"""The Redis connection used by services: one pool per process, bound from the app config.

Redis holds only what can be rebuilt (quotes, the token blocklist, rate-limit counters, locks,
caches); nothing here is a source of truth.
"""

from __future__ import annotations

from typing import Any

import redis


class RedisStore:
    """A Flask-style extension holding a Redis client built from REDIS_URL."""

    def __init__(self) -> None:
        self._client: redis.Redis | None = None
        self._url: str | None = None

    def init_app(self, app: Any) -> None:
        """Build the client from the app's REDIS_URL and register it on the app."""
        self.configure(app.config["REDIS_URL"])
        app.extensions["redis"] = self

    def configure(self, url: str) -> None:
        """Build the client from a URL (short timeouts: Redis is local and fast, or down)."""
        self._url = url
        self._client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=5,
            socket_connect_timeout=2,
            health_check_interval=30,
        )

    @property
    def client(self) -> redis.Redis:
        """Return the client; fails loudly when used before configuration."""
        if self._client is None:
            raise RuntimeError("RedisStore used before init_app()")
        return self._client


redis_store = RedisStore()
