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

Bars are dicts of strings, oldest first: `timestamp` (ISO 8601 UTC, the bar's open), `open`,
`high`, `low`, `close` (with at least the instrument's digits) and `volume`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

import redis

from domain.instruments import Instrument, get_instrument
from marketdata.alltick.errors import AlltickError, RateLimitError
from marketdata.alltick.models import Kline
from marketdata.alltick.rest_client import AlltickRest
from services.present import price, when

KLINE_TYPES: dict[str, int] = {
    "1m": 1,
    "5m": 2,
    "15m": 3,
    "30m": 4,
    "1h": 5,
    "2h": 6,
    "4h": 7,
    "1d": 8,
    "1w": 9,
    "1M": 10,
}
INTERVALS: tuple[str, ...] = tuple(KLINE_TYPES)
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
FETCH_BARS = 500
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


def bar_body(symbol: str, bar: Kline) -> dict[str, str]:
    """Return a vendor bar as the API shows it (decimal strings, ISO open time)."""
    return {
        "timestamp": when(bar.timestamp) or "",
        "open": price(symbol, bar.open) or "",
        "high": price(symbol, bar.high) or "",
        "low": price(symbol, bar.low) or "",
        "close": price(symbol, bar.close) or "",
        "volume": str(bar.volume),
    }


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

    def get(self, symbol: str, interval: str, limit: int) -> list[dict[str, str]]:
        """Return the last `limit` bars of `symbol` at `interval`, oldest first."""
        instrument = get_instrument(symbol)
        if interval not in KLINE_TYPES:
            raise ValueError(f"unknown interval {interval!r}")
        if not 1 <= limit <= FETCH_BARS:
            raise ValueError(f"limit must be within 1..{FETCH_BARS}")
        key = f"{KEY_PREFIX}{symbol}:{interval}"
        bars = self._read(key)
        if bars is None:
            bars = self._refresh_or_wait(key, instrument, interval)
        return bars[-limit:]

    def _read(self, key: str) -> list[dict[str, str]] | None:
        raw = self._redis.get(key)
        if raw is None:
            return None
        bars: list[dict[str, str]] = json.loads(raw)
        return bars

    def _refresh_or_wait(
        self, key: str, instrument: Instrument, interval: str
    ) -> list[dict[str, str]]:
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

    def _fetch(self, key: str, instrument: Instrument, interval: str) -> list[dict[str, str]]:
        try:
            klines = self._rest.kline(instrument.vendor_code, KLINE_TYPES[interval], FETCH_BARS)
        except RateLimitError as exc:
            stale = self._read(key + ":stale")
            if stale is not None:
                return stale
            raise MarketDataUnavailable(f"vendor rate limit and no cached candles: {exc}") from exc
        except AlltickError as exc:
            raise MarketDataUnavailable(f"vendor error: {type(exc).__name__}: {exc}") from exc
        bars = [bar_body(instrument.symbol, bar) for bar in klines]
        self._store(key, interval, bars)
        return bars

    def _store(self, key: str, interval: str, bars: list[dict[str, Any]]) -> None:
        payload = json.dumps(bars, separators=(",", ":"))
        refresh_ms = int(self._refresh[interval] * 1000)
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(key, payload, px=refresh_ms)
        pipe.set(key + ":stale", payload, px=refresh_ms * STALE_FACTOR)
        pipe.execute()

    def _wait_for(self, key: str) -> list[dict[str, str]]:
        """Poll for the lock holder's bars; give up when it failed or after `wait_seconds`."""
        deadline = time.monotonic() + self._wait
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            pipe = self._redis.pipeline(transaction=False)
            pipe.get(key)
            pipe.exists(key + ":lock")
            raw, locked = pipe.execute()
            if raw is not None:
                bars: list[dict[str, str]] = json.loads(raw)
                return bars
            if not locked:
                raise MarketDataUnavailable("the candle refresh in progress failed")
        raise MarketDataUnavailable("timed out waiting for another request to fetch candles")
