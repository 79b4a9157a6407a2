"""Idempotency keys for money-moving requests that have no client order id (balance adjustments).

Policy: a request that carries a key (the API's `Idempotency-Key` header, the CLI's
`--idempotency-key`) is booked at most once per (operation, actor, key). The result is stored in
the same transaction as the money, so either both are committed or neither; a retry with the same
key and the same request gets the stored result and books nothing; the same key with a different
request is refused (IdempotencyKeyReused, 409). Callers look the key up only after taking the
account's row lock, so two concurrent requests with one key cannot both book. Keys are kept (they
are small); a key is 1-128 visible ASCII characters (schemas.fields.IDEMPOTENCY_KEY).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from domain.errors import IdempotencyKeyReused
from models import DbSession, IdempotentRequest


@dataclass(frozen=True)
class IdempotencyKey:
    """A key as scoped by its operation and the actor who sent it, with the request's digest."""

    operation: str
    actor_id: int
    key: str
    request_hash: str


def stored_result(session: DbSession, key: IdempotencyKey) -> dict[str, Any] | None:
    """Return the stored result of this key's request; None if the key is new."""
    found = session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.operation == key.operation,
            IdempotentRequest.actor_id == key.actor_id,
            IdempotentRequest.key == key.key,
        )
    )
    if found is None:
        return None
    if found.request_hash != key.request_hash:
        raise IdempotencyKeyReused(key.key)
    return found.result


def remember(session: DbSession, key: IdempotencyKey, result: dict[str, Any]) -> None:
    """Store the result with the key, in the caller's transaction (not committed here)."""
    session.add(
        IdempotentRequest(
            operation=key.operation,
            actor_id=key.actor_id,
            key=key.key,
            request_hash=key.request_hash,
            result=result,
        )
    )
