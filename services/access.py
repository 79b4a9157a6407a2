"""Who may still use a token: revoked token ids and deactivated users, checked per request.

Every authenticated request asks, in ONE Redis round trip, whether the token's id was revoked
(logout) and whether its user was deactivated. Deactivated users are a set in Redis rebuilt from
PostgreSQL (`users.is_active`, the truth) whenever Redis has lost it: a marker key says the set
is loaded, and a request that finds no marker reloads it before answering. So a Redis flush or
restart never lets a deactivated user back in.

Revoked token ids live in Redis until the token would have expired anyway (see services.tokens).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import redis

from services.tokens import PREFIX as REVOKED_PREFIX

DEACTIVATED_KEY = "auth:deactivated"
LOADED_KEY = "auth:deactivated:loaded"
# Bumped by every change of the set: a reload that read the database before a change commits
# nothing (WATCH), so it can never overwrite a newer deactivation with an older truth.
GENERATION_KEY = "auth:deactivated:generation"


class AccessCheck:
    """Answers whether a token may be used, from Redis, reloading what Redis lost."""

    def __init__(self, client: redis.Redis, load_deactivated: Callable[[], Iterable[int]]) -> None:
        self._redis = client
        self._load = load_deactivated

    def refused(self, jti: str, user_id: int) -> bool:
        """Return True when the token was revoked or its user deactivated."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.exists(REVOKED_PREFIX + jti)
        pipe.sismember(DEACTIVATED_KEY, str(user_id))
        pipe.exists(LOADED_KEY)
        revoked, deactivated, loaded = pipe.execute()
        if not loaded:
            deactivated = user_id in self.reload()
        return bool(revoked or deactivated)

    def reload(self) -> set[int]:
        """Rebuild the set of deactivated users from the database; return it."""
        while True:
            with self._redis.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(GENERATION_KEY)
                    ids = set(self._load())
                    pipe.multi()
                    pipe.delete(DEACTIVATED_KEY)
                    if ids:
                        pipe.sadd(DEACTIVATED_KEY, *(str(i) for i in ids))
                    pipe.set(LOADED_KEY, "1")
                    pipe.execute()
                    return ids
                except redis.WatchError:
                    continue  # a user was (de)activated meanwhile: read the database again

    def changed(self, user_id: int, active: bool) -> None:
        """Record a user just deactivated or reactivated (after the database commit)."""
        pipe = self._redis.pipeline(transaction=True)
        if active:
            pipe.srem(DEACTIVATED_KEY, str(user_id))
        else:
            pipe.sadd(DEACTIVATED_KEY, str(user_id))
        pipe.incr(GENERATION_KEY)
        pipe.execute()
