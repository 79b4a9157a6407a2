"""The positions engine: live valuation of every open position, tick by tick (display only).

Policy:
- Floats for display only. The engine values positions in numpy float64: its valuations are
  published for screens and used to trigger margin calls and stop outs, never booked. Every
  booking uses Decimal from PostgreSQL (the stop-out task re-checks the level that way on the
  account as booked); the beat sweep is the safety net for whatever the engine misses.
- Load: at start, after (re)subscribing, every open position and its account come from
  PostgreSQL in ONE query into per-symbol arrays; quotes come from the quote store.
- Ticks: one Redis pub/sub connection subscribes to `fx:quotes` and `fx:accounts`. Pending
  messages are drained in batches; ticks are conflated per symbol (latest wins) and each revalues
  only that symbol's positions, vectorised (see services.engine.revalue for the formulas and the
  conversion policy).
- Reload triggers: an account event (`order.filled`, `position.changed`, `account.updated`, ...)
  whose `seq` is beyond the one loaded for that account — a change we have not loaded, or a gap
  after a lost message — reloads that account's balance and open positions (one query);
  `stop_out` always does. A pub/sub reconnect (the client's silent one, or an error that
  restarts the loop) reloads everything, and so does a timer every `reload_interval` (60 s).
  A full reload is built in a background thread into a new book while ticks keep being
  revalued on the current one; the loop then swaps the new book in (keeping margin states and
  throttles), values it at the latest quotes and reloads the accounts whose events arrived
  meanwhile. Only the first load, at start, makes the loop wait.
- Throttling: `account.valued` is published at most once per `publish_interval` (0.25 s) per
  account, conflated (the latest valuation wins). `margin.call` is published at once, when an
  account crosses DOWN through the margin-call level (once per crossing: it must recover above
  the level before it can be called again; an account first seen below it is called once).
  At or below the stop-out level the Celery task `margin.stop_out` is enqueued by name with the
  account id, at most once per `stop_out_cooldown` (5 s) per account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis
from sqlalchemy import Engine

from services.engine.loop import STOP_OUT_TASK, EngineSettings, Enqueue, PositionsEngine
from services.engine.revalue import Levels
from services.realtime import Channels
from services.redis_client import connect

__all__ = [
    "STOP_OUT_TASK",
    "EngineSettings",
    "Levels",
    "PositionsEngine",
    "engine_from_config",
]


def settings_from_config(config: Mapping[str, Any]) -> EngineSettings:
    """Return the engine settings of an app config (margin levels are percentages)."""
    levels = Levels(float(config["MARGIN_CALL_LEVEL"]), float(config["STOP_OUT_LEVEL"]))
    channels = Channels.with_prefix(str(config["REDIS_CHANNEL_PREFIX"]))
    return EngineSettings(levels=levels, channels=channels)


def engine_from_config(
    config: Mapping[str, Any], sql: Engine, enqueue: Enqueue, client: redis.Redis | None = None
) -> PositionsEngine:
    """Build the engine from the app config, a SQLAlchemy engine and an enqueue function."""
    redis_client = client or connect(str(config["REDIS_URL"]))
    return PositionsEngine(sql, redis_client, enqueue, settings_from_config(config))
