"""Candles from the simulator's own generated history, the newest ending at the live price.

Policy: bars are aligned to their period in UTC (weeks start Monday, months on the 1st). The
history is walked backwards from the live mid with a generator seeded by (seed, code, kline_type,
newest bar open), so the same seed in the same bar period gives the same candles. With `end` 0 the
newest bar is the current one and its close is the latest trade price; otherwise the newest bar is
the one open at `end` (seconds; above 1e11 read as milliseconds). Bars come oldest first, numbers
as strings.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marketdata.simulator.market import PriceWalk

PERIOD_S = {1: 60, 2: 300, 3: 900, 4: 1800, 5: 3600, 6: 7200, 7: 14400, 8: 86400, 9: 604800}
MONTHLY = 10
WEEK_OFFSET_S = 4 * 86400  # 1970-01-01 was a Thursday; Monday 1970-01-05 starts the weeks


def bar_open(ts: int, kline_type: int) -> int:
    """Return the open time (seconds) of the bar holding `ts`."""
    if kline_type == MONTHLY:
        moment = datetime.fromtimestamp(ts, tz=UTC)
        return int(datetime(moment.year, moment.month, 1, tzinfo=UTC).timestamp())
    period = PERIOD_S[kline_type]
    offset = WEEK_OFFSET_S if kline_type == 9 else 0
    return ts - (ts - offset) % period


def previous_open(open_ts: int, kline_type: int) -> int:
    """Return the open time of the bar before the one opening at `open_ts`."""
    if kline_type == MONTHLY:
        return bar_open(open_ts - 1, MONTHLY)
    return open_ts - PERIOD_S[kline_type]


def _period_s(kline_type: int) -> int:
    return PERIOD_S.get(kline_type, 30 * 86400)


def candles(
    walk: PriceWalk, kline_type: int, num: int, end: int, seed: int
) -> list[dict[str, Any]]:
    """Return `num` bars of `walk`'s code ending at `end` (0 = now), oldest first."""
    now = int(time.time())
    end_s = end // 1000 if end > 100_000_000_000 else end
    newest = bar_open(min(end_s, now) if end_s else now, kline_type)
    inst = walk.instrument
    rng = random.Random(f"{seed}:{inst.code}:{kline_type}:{newest}")
    sigma = inst.daily_vol * math.sqrt(_period_s(kline_type) / 86400)
    close = float(walk.last.price) if not end_s or end_s >= now else float(inst.mid)
    bars, opened = [], newest
    for _ in range(num):
        open_ = close * (1 + sigma * rng.gauss(0.0, 1.0) * 0.5)
        high = max(open_, close) * (1 + abs(rng.gauss(0.0, 1.0)) * sigma * 0.3)
        low = min(open_, close) * (1 - abs(rng.gauss(0.0, 1.0)) * sigma * 0.3)
        volume = Decimal(repr(rng.uniform(100, 5000))).quantize(Decimal("0.01"))
        bars.append(_bar(opened, (open_, high, low, close), volume, inst.quantum))
        close, opened = open_, previous_open(opened, kline_type)
    bars.reverse()
    return bars


def _bar(
    opened: int, ohlc: tuple[float, float, float, float], volume: Decimal, q: Decimal
) -> dict[str, Any]:
    prices = [Decimal(repr(x)).quantize(q) for x in ohlc]
    turnover = (prices[3] * volume).quantize(Decimal("0.01"))
    return {
        "timestamp": str(opened),
        "open_price": str(prices[0]),
        "high_price": str(prices[1]),
        "low_price": str(prices[2]),
        "close_price": str(prices[3]),
        "volume": str(volume),
        "turnover": str(turnover),
    }
