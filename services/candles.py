"""Candles (K-lines) from the vendor's REST `/kline`, served from a shared Redis cache.

Cache policy:
- The vendor rate-limits `/kline` per token (basic plan: 1 call per second for ALL codes), so user
  requests never reach it directly. Per (symbol, interval) we keep the latest `FETCH_BARS` (500,
  the vendor's maximum) bars in Redis as JSON under `candles:{SYMBOL}:{interval}` with a TTL of
  the interval's refresh period (`REFRESH_SECONDS`: 1m 5 s, 5m 15 s, 15m/30m 30 s, 1h/2h 60 s,
  4h 120 s, 1d 300 s, 1w 600 s, 1M 900 s). Any number of users and processes therefore cost at
  most one vendor call per symbol and interval per refresh period; a request takes the last
  `limit` bars of the cached 500.
- A copy of the same bars is kept under `...:stale` for `STALE_FACTOR` refresh periods: the
  fallback when the fresh copy has expired and it cannot be refreshed right now.
- On a miss, the refresh is guarded by a Redis lock (`SET NX PX`, owner-checked release): the
  holder makes the ONE vendor call and writes both copies; everyone else serves the stale copy
  if there is one, or polls the fresh key for up to `wait_seconds` (giving up at once when the
  holder released the lock without writing: its vendor call failed).
- A rate-limit answer (429/605) serves the stale copy if any. Every other vendor failure, and a
  rate limit or wait with nothing cached, raises `MarketDataUnavailable` (no domain meaning: the
  web layer answers 503).

Bars are cached as compact rows `[open time in ms, open, high, low, close, volume]` (decimal
strings), oldest first, and served as `domain.candles.Candle` records.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import redis

from domain.candles import INTERVALS, MAX_BARS, Candle
from domain.instruments import Instrument, get_instrument
from marketdata.alltick.errors import AlltickError, RateLimitError
from marketdata.alltick.models import Kline
from marketdata.alltick.rest_client import AlltickRest

# The vendor numbers the intervals 1 (1m) to 10 (1M), in the order of domain.candles.INTERVALS.
KLINE_TYPES: dict[str, int] = {interval: n for n, interval in enumerate(INTERVALS, start=1)}
REFRESH_SECONDS: dict[str, float] = {
    "1m": 5,
    "5m": 15,
    "15m": 30,
    "30m": 30,
    "1h": 60,
    "2h": 60,
    "4h": 120,
    "1d": 300,
    "1w": 600,
    "1M": 900,
}
FETCH_BARS = MAX_BARS
STALE_FACTOR = 60
# Longer than the client's worst case (rate-limit wait plus connect and read timeouts).
LOCK_MS = 20_000
POLL_SECONDS = 0.05
KEY_PREFIX = "candles:"

RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class MarketDataUnavailable(Exception):
    """Candles cannot be served now (vendor failure, rate limit or wait with nothing cached)."""


Row = list[Any]  # [open time ms, open, high, low, close, volume]


@dataclass(frozen=True)
class CandleSeries:
    """The latest bars of a symbol at an interval, oldest first."""

    symbol: str
    interval: str
    items: list[Candle]


def _row(bar: Kline) -> Row:
    stamp = int(bar.timestamp.timestamp() * 1000)
    return [stamp, str(bar.open), str(bar.high), str(bar.low), str(bar.close), str(bar.volume)]


def _candle(symbol: str, row: Row) -> Candle:
    opened = datetime.fromtimestamp(row[0] / 1000, tz=UTC)
    return Candle(symbol, opened, *(Decimal(value) for value in row[1:6]))


class CandleService:
    """Serve candles per (symbol, interval) from the Redis cache, refreshing it from the vendor."""

    def __init__(
        self,
        redis_client: redis.Redis,
        rest: AlltickRest,
        refresh_seconds: Mapping[str, float] | None = None,
        wait_seconds: float = 5.0,
    ) -> None:
        self._redis = redis_client
        self._rest = rest
        self._refresh = {**REFRESH_SECONDS, **(refresh_seconds or {})}
        self._wait = wait_seconds

    def get(self, symbol: str, interval: str, limit: int) -> CandleSeries:
        """Return the last `limit` bars of `symbol` at `interval`, oldest first."""
        instrument = get_instrument(symbol)
        if interval not in KLINE_TYPES:
            raise ValueError(f"unknown interval {interval!r}")
        if not 1 <= limit <= FETCH_BARS:
            raise ValueError(f"limit must be within 1..{FETCH_BARS}")
        key = f"{KEY_PREFIX}{symbol}:{interval}"
        rows = self._read(key)
        if rows is None:
            rows = self._refresh_or_wait(key, instrument, interval)
        items = [_candle(symbol, row) for row in rows[-limit:]]
        return CandleSeries(symbol, interval, items)

    def _read(self, key: str) -> list[Row] | None:
        raw = self._redis.get(key)
        if raw is None:
            return None
        rows: list[Row] = json.loads(raw)
        return rows

    def _refresh_or_wait(self, key: str, instrument: Instrument, interval: str) -> list[Row]:
        owner = uuid.uuid4().hex
        if self._redis.set(key + ":lock", owner, nx=True, px=LOCK_MS):
            try:
                # A holder that finished between our miss and our lock already wrote the bars.
                cached = self._read(key)
                return cached if cached is not None else self._fetch(key, instrument, interval)
            finally:
                self._redis.eval(RELEASE_SCRIPT, 1, key + ":lock", owner)
        stale = self._read(key + ":stale")
        return stale if stale is not None else self._wait_for(key)

    def _fetch(self, key: str, instrument: Instrument, interval: str) -> list[Row]:
        try:
            klines = self._rest.kline(instrument.vendor_code, KLINE_TYPES[interval], FETCH_BARS)
        except RateLimitError as exc:
            stale = self._read(key + ":stale")
            if stale is not None:
                return stale
            raise MarketDataUnavailable(f"vendor rate limit and no cached candles: {exc}") from exc
        except AlltickError as exc:
            raise MarketDataUnavailable(f"vendor error: {type(exc).__name__}: {exc}") from exc
        rows = [_row(bar) for bar in klines]
        self._store(key, interval, rows)
        return rows

    def _store(self, key: str, interval: str, rows: list[Row]) -> None:
        payload = json.dumps(rows, separators=(",", ":"))
        refresh_ms = int(self._refresh[interval] * 1000)
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(key, payload, px=refresh_ms)
        pipe.set(key + ":stale", payload, px=refresh_ms * STALE_FACTOR)
        pipe.execute()

    def _wait_for(self, key: str) -> list[Row]:
        """Poll for the lock holder's bars; give up when it failed or after `wait_seconds`."""
        deadline = time.monotonic() + self._wait
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            pipe = self._redis.pipeline(transaction=False)
            pipe.get(key)
            pipe.exists(key + ":lock")
            raw, locked = pipe.execute()
            if raw is not None:
                rows: list[Row] = json.loads(raw)
                return rows
            if not locked:
                raise MarketDataUnavailable("the candle refresh in progress failed")
        raise MarketDataUnavailable("timed out waiting for another request to fetch candles")
