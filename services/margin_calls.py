"""Margin calls told once per crossing, whoever sees the crossing first: the engine or the sweep.

An account that falls to the margin-call level is announced (a `margin.call` event) only if no
announcement stands for it: the key `margin:called:{account_id}` is set with SET NX, so of the
positions engine and the sweep, the first to see the crossing publishes and the other stays
silent. The key is removed when either sees the account back above the level, so the next
crossing is announced again. Redis may lose the keys (a restart or FLUSHALL): an account still
below the level is then announced once more, which is the safe side of forgetting.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis

PREFIX = "margin:called:"


def announce(client: redis.Redis, account_ids: Iterable[int]) -> list[int]:
    """Mark the accounts as called; return those not called already (to be announced)."""
    wanted = list(account_ids)
    if not wanted:
        return []
    pipe = client.pipeline(transaction=False)
    for account_id in wanted:
        pipe.set(f"{PREFIX}{account_id}", "1", nx=True)
    return [account_id for account_id, new in zip(wanted, pipe.execute(), strict=True) if new]


def recovered(client: redis.Redis, account_ids: Iterable[int]) -> None:
    """Forget the calls of accounts back above the level (their next fall is announced)."""
    keys = [f"{PREFIX}{account_id}" for account_id in account_ids]
    if keys:
        client.delete(*keys)


def called(client: redis.Redis) -> set[int]:
    """Return every account with a standing call (a few, however many accounts there are)."""
    return {int(key.removeprefix(PREFIX)) for key in client.scan_iter(f"{PREFIX}*", count=1000)}
