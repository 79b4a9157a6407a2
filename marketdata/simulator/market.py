"""Seeded random-walk prices per vendor code, and the latest quote of each.

Policy:
- Each code has its own `random.Random` seeded from (seed, code), so the n-th quote of a code is the
  same in every run with the same seed, whatever the timing or the other codes do.
- A step is `mid *= 1 + sigma * N(0, 1)` with `sigma = daily_vol / sqrt(86400 * tick_rate)`, plus a
  weak pull (0.1 % per step) back to the anchor mid so that a long demo stays realistic.
- Bid and ask straddle the mid by half a spread (jittered up to +30 %), bid rounded down and ask up
  to the price increment, so a simulated quote is never crossed unless a fault asks for it.
- `set_mid` moves the mid and the anchor; with `hold` the walk stops and the spread is exact.
- `seq` grows by one per quote of a code; `tick_time` is wall-clock milliseconds, never going back.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from marketdata.simulator.instruments import INSTRUMENTS, Instrument

PULL = 0.001
SPREAD_JITTER = 0.3


@dataclass(frozen=True, slots=True)
class Quote:
    """One simulated market update of a code: its book and a last trade."""

    code: str
    seq: int
    tick_time_ms: int
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]
    price: Decimal
    volume: Decimal
    trade_direction: int


class PriceWalk:
    """The walk of one code."""

    def __init__(self, instrument: Instrument, seed: int) -> None:
        self.instrument = instrument
        self._rng = random.Random(f"{seed}:{instrument.code}")
        self._sigma = instrument.daily_vol / math.sqrt(86_400 * instrument.tick_rate)
        self.mid = float(instrument.mid)
        self.anchor = self.mid
        self.hold = False
        self.seq = 0
        self._last_ms = 0
        self.last: Quote = self.step()

    def set_mid(self, mid: Decimal, hold: bool) -> None:
        """Move the mid (and the anchor) to `mid`; `hold` freezes it there."""
        self.mid = self.anchor = float(mid)
        self.hold = hold

    def spike(self, factor: Decimal) -> Quote:
        """Return one update at `factor` x the mid (a bad tick), leaving the walk where it was."""
        mid, hold = self.mid, self.hold
        self.mid, self.hold = mid * float(factor), True
        try:
            return self.step()
        finally:
            self.mid, self.hold = mid, hold

    def step(self) -> Quote:
        """Advance the walk by one update and return its quote."""
        rng = self._rng
        if not self.hold:
            self.mid *= 1 + self._sigma * rng.gauss(0.0, 1.0)
            self.mid += PULL * (self.anchor - self.mid)
        jitter = 1.0 if self.hold else 1 + SPREAD_JITTER * rng.random()
        self.seq += 1
        self._last_ms = max(self._last_ms + 1, time.time_ns() // 1_000_000)
        self.last = self._quote(float(self.instrument.spread) * jitter, rng)
        return self.last

    def _quote(self, spread: float, rng: random.Random) -> Quote:
        inst = self.instrument
        q = inst.quantum
        bid = Decimal(repr(self.mid - spread / 2)).quantize(q, rounding=ROUND_FLOOR)
        ask = Decimal(repr(self.mid + spread / 2)).quantize(q, rounding=ROUND_CEILING)
        bid = max(bid, q)
        ask = max(ask, bid + q)
        bids = tuple((bid - q * i, self._volume(rng)) for i in range(inst.depth_levels))
        asks = tuple((ask + q * i, self._volume(rng)) for i in range(inst.depth_levels))
        price = Decimal(repr(self.mid)).quantize(q)
        direction = 1 if inst.depth_levels == 1 else rng.choice((1, 2))
        return Quote(inst.code, self.seq, self._last_ms, bids, asks, price, bids[0][1], direction)

    def _volume(self, rng: random.Random) -> Decimal:
        places = self.instrument.volume_decimals
        return Decimal(repr(rng.uniform(1, 50))).quantize(Decimal(1).scaleb(-places))


class Market:
    """All walks of one simulator."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.walks = {code: PriceWalk(inst, seed) for code, inst in INSTRUMENTS.items()}

    def step(self, code: str) -> Quote:
        """Advance `code` and return its new quote."""
        return self.walks[code].step()

    def last(self, code: str) -> Quote:
        """Return the latest quote of `code`."""
        return self.walks[code].last
