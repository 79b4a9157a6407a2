"""Candles (bars): the intervals a chart can ask for, and one bar of a symbol.

A bar's `timestamp` is its open time (aware UTC); prices are the vendor's raw mid prices, not
marked up. At most MAX_BARS of the latest bars are served per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

INTERVALS: tuple[str, ...] = ("1m", "5m", "15m", "30m", "1h", "2h", "4h", "1d", "1w", "1M")
MAX_BARS = 500


@dataclass(frozen=True)
class Candle:
    """One bar of a symbol at an interval."""

    symbol: str
    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
