"""The JWT blocklist: revoked token ids in Redis until the token would have expired anyway.

A revoked id is kept for exactly the rest of the token's lifetime, so the blocklist never grows
past the set of live tokens. If Redis is lost the blocklist is lost with it; access tokens are
short-lived (JWT_ACCESS_TOKEN_MINUTES) which bounds that exposure.
"""

from __future__ import annotations

import time

import redis

from services.realtime import Channels

PREFIX = "jwt:revoked:"


def revoke(client: redis.Redis, channels: Channels, jti: str, expires_at: int) -> None:
    """Record a token id as revoked until its expiry, and tell the relays to close its sockets."""
    ttl = max(int(expires_at - time.time()), 1)
    pipe = client.pipeline(transaction=False)
    pipe.set(PREFIX + jti, "1", ex=ttl)
    pipe.publish(channels.revoked, jti)
    pipe.execute()


def is_revoked(client: redis.Redis, jti: str) -> bool:
    """Return whether the token id has been revoked."""
    return bool(client.exists(PREFIX + jti))
