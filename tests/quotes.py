"""Writing quotes into the real quote store, as the feed would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import redis

from config import TestingConfig
from services.quotes import QuoteStore, RawQuote
from services.realtime import Channels

# The channels of the test configuration (REDIS_CHANNEL_PREFIX, fxtest by default).
CHANNELS = Channels.with_prefix(TestingConfig.REDIS_CHANNEL_PREFIX)

# Raw mid prices; the spread is one pip either side of these.
MIDS = {
    "EURUSD": "1.10000", "GBPUSD": "1.30000", "USDJPY": "150.000", "USDCHF": "0.90000",
    "AUDUSD": "0.66000", "USDCAD": "1.36000", "NZDUSD": "0.60000", "EURGBP": "0.85000",
    "EURJPY": "165.000", "GBPJPY": "195.000", "EURCHF": "0.95000", "AUDJPY": "99.000",
    "XAUUSD": "2400.00", "XAGUSD": "30.000",
}  # fmt: skip


def put_quote(
    client: redis.Redis,
    symbol: str,
    bid: str,
    ask: str,
    age: timedelta = timedelta(0),
    seq: int = 1,
) -> RawQuote:
    """Store a raw quote of the given age, as the feed would."""
    at = datetime.now(UTC) - age
    quote = RawQuote(symbol, Decimal(bid), Decimal(ask), at, at, seq)
    QuoteStore(client).store_tick(quote, CHANNELS.quotes)
    return quote


def put_market(client: redis.Redis, mids: dict[str, str] | None = None) -> None:
    """Store a fresh quote for each symbol: raw bid = mid, raw ask = mid + 2 points."""
    from domain.instruments import get_instrument

    for symbol, mid in (mids or MIDS).items():
        point = get_instrument(symbol).point
        put_quote(client, symbol, mid, str(Decimal(mid) + 2 * point))
