"""Redis connections for services: short timeouts, text replies.

Redis holds only what can be rebuilt (quotes, the token blocklist cache, rate-limit counters,
locks, caches); nothing here is a source of truth. The web app and the workers each build one
client per process from REDIS_URL (webapp.extensions, tasks.context) and hand it to services.
"""

from __future__ import annotations

import redis


def connect(url: str) -> redis.Redis:
    """Return a client for a URL (short timeouts: Redis is local and fast, or down)."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=30,
    )
