"""Real-time channels and the message envelope, defined once for publishers and the relay.

Channels (Redis pub/sub, at-most-once):
- `fx:quotes`   — every tick: {"type": "quote", "ts", "data": {symbol, bid, ask, ts_event, seq}}
- `fx:accounts` — per-account events; `data` carries `account_id` and the account's `seq`
  (its transaction sequence number), so a client that sees a gap asks for a new snapshot.
- `fx:revoked`  — the id (jti) of a token just revoked by logout.

Event types on `fx:accounts`: `order.filled`, `position.changed`, `account.updated` (a booked
change of balance or exposure), `account.valued` (the engine's live valuation), `margin.call`,
`stop_out`. Publish only after the database commit.
"""

from __future__ import annotations

import json
import logging
import time
from decimal import Decimal
from typing import Any

import redis

from config import channel_prefix

log = logging.getLogger(__name__)

# Pub/sub channels are shared by every database of a Redis server, so their names carry a
# namespace (REDIS_CHANNEL_PREFIX, default "fx"): the tests use their own, and a test run never
# hears a development system's ticks on the same server.
_PREFIX = channel_prefix()
QUOTES_CHANNEL = f"{_PREFIX}:quotes"
ACCOUNTS_CHANNEL = f"{_PREFIX}:accounts"
# A revoked token id (the message is the jti): relays close the sockets opened with it.
REVOKED_CHANNEL = f"{_PREFIX}:revoked"

ORDER_FILLED = "order.filled"
POSITION_CHANGED = "position.changed"
ACCOUNT_UPDATED = "account.updated"
# The positions engine's live valuation (display only), throttled per account.
ACCOUNT_VALUED = "account.valued"
MARGIN_CALL = "margin.call"
STOP_OUT = "stop_out"


def envelope(message_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Wrap data in the one message envelope {type, ts (ms), data}."""
    return {"type": message_type, "ts": int(time.time() * 1000), "data": data}


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(message: dict[str, Any]) -> str:
    """Serialise a message: Decimal as strings, datetimes as ISO 8601."""
    return json.dumps(message, default=_default, separators=(",", ":"))


def account_event(
    message_type: str, account_id: int, seq: int, payload: dict[str, Any]
) -> dict[str, Any]:
    """Build an account-scoped message carrying the account id and its sequence number."""
    return envelope(message_type, {"account_id": account_id, "seq": seq, **payload})


def publish_account_events(client: redis.Redis, events: list[dict[str, Any]]) -> None:
    """Publish account events after a commit; a Redis failure is logged, never raised.

    The booking has committed by now: losing a notification is recoverable (clients resync by
    sequence number), failing the request after the money moved is not.
    """
    if not events:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for event in events:
            pipe.publish(ACCOUNTS_CHANNEL, dumps(event))
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("event=publish_failed channel=%s error=%r", ACCOUNTS_CHANNEL, exc)
