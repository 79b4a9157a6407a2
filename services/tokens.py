"""The JWT blocklist: revoked token ids in Redis until the token would have expired anyway.

A revoked id is kept for exactly the rest of the token's lifetime, so the blocklist never grows
past the set of live tokens. If Redis is lost the blocklist is lost with it; access tokens are
short-lived (JWT_ACCESS_TOKEN_MINUTES) which bounds that exposure.
"""

from __future__ import annotations

import time

import redis

PREFIX = "jwt:revoked:"


def revoke(client: redis.Redis, jti: str, expires_at: int) -> None:
    """Record a token id as revoked until its expiry (a unix time)."""
    ttl = max(int(expires_at - time.time()), 1)
    client.set(PREFIX + jti, "1", ex=ttl)


def is_revoked(client: redis.Redis, jti: str) -> bool:
    """Return whether the token id has been revoked."""
    return bool(client.exists(PREFIX + jti))
