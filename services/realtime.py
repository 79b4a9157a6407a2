"""Real-time channels and publishing: every message serialised once, through its schema.

Channels (Redis pub/sub, at-most-once), named `{prefix}:quotes`, `{prefix}:accounts` and
`{prefix}:revoked`:
- quotes   — every tick: `{"type": "quote", "ts", "data": {symbol, bid, ask, ts_event, seq}}`;
- accounts — per-account events (`services.events`); `data` carries `account_id` and `seq`, so
  a client that sees a gap asks for a new snapshot;
- revoked  — the id (jti) of a token just revoked, so relays close its sockets.
Pub/sub channels are shared by every database of a Redis server, so their names carry a prefix
(REDIS_CHANNEL_PREFIX, default "fx"): a test run never hears a development system's ticks.

Messages are JSON text made by orjson from the body the message's schema dumps
(schemas/events.py); relays forward them as they are. Publish only after the database commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import redis

from schemas.events import message_body
from services.events import AccountEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channels:
    """The pub/sub channel names under one prefix."""

    quotes: str
    accounts: str
    revoked: str

    @classmethod
    def with_prefix(cls, prefix: str) -> Channels:
        """Return the channels of a prefix (REDIS_CHANNEL_PREFIX)."""
        return cls(f"{prefix}:quotes", f"{prefix}:accounts", f"{prefix}:revoked")


def now_ms() -> int:
    """Return the current time in ms since the epoch (a message's `ts`)."""
    return int(time.time() * 1000)


def message(message_type: str, data: Any) -> str:
    """Return a message's JSON text: the envelope around data dumped by the type's schema."""
    return orjson.dumps(message_body(message_type, data, now_ms())).decode()


class Publisher:
    """Publishes events on the account channel after a commit."""

    def __init__(self, client: redis.Redis, channels: Channels) -> None:
        self.client = client
        self.channels = channels

    def account_events(self, events: Sequence[AccountEvent]) -> None:
        """Publish account events; a Redis failure is logged, never raised.

        The booking has committed by now: losing a notification is recoverable (clients resync
        by sequence number), failing the request after the money moved is not.
        """
        if not events:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for event in events:
                pipe.publish(self.channels.accounts, message(event.kind, event))
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("event=publish_failed channel=%s error=%r", self.channels.accounts, exc)

    def revocation(self, jti: str) -> None:
        """Tell the relays a token was revoked (they close its sockets)."""
        self.client.publish(self.channels.revoked, jti)
