"""Which pushes reach the consumer, and the counters of what was dropped.

Policy, in this order for each push:
- a frame that does not parse is dropped as `malformed`;
- a quote with a non-positive price is dropped as `non_positive`, a depth tick with bid >= ask as
  `crossed` (an empty side is allowed: the consumer sees `best_bid`/`best_ask` None);
- a tick whose `(tick_time, seq)` is not newer than the last delivered one of the same code and push
  type is dropped as `stale` (a duplicate carries nothing new). Depth and trade order separately.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields, replace
from datetime import datetime

from marketdata.alltick.models import DepthTick, DropReason, TradeTick, check_depth, check_trade


@dataclass(frozen=True, slots=True)
class StreamCounters:
    """A snapshot of the stream's counters since it was created."""

    ticks: int = 0
    depth_ticks: int = 0
    trade_ticks: int = 0
    dropped_malformed: int = 0
    dropped_crossed: int = 0
    dropped_nonpositive: int = 0
    dropped_stale: int = 0
    connects: int = 0
    reconnects: int = 0
    rate_limited: int = 0
    heartbeat_acks: int = 0
    failed_acks: int = 0
    read_timeouts: int = 0


COUNTER_NAMES = frozenset(f.name for f in fields(StreamCounters))


class Counters:
    """Thread-safe counters with a frozen snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = StreamCounters()

    def add(self, name: str, amount: int = 1) -> None:
        """Add `amount` to counter `name`."""
        if name not in COUNTER_NAMES:
            raise KeyError(name)
        with self._lock:
            current = getattr(self._values, name)
            self._values = replace(self._values, **{name: current + amount})

    def snapshot(self) -> StreamCounters:
        """Return the current values."""
        with self._lock:
            return self._values


_COUNTER_FOR_REASON = {
    DropReason.CROSSED: "dropped_crossed",
    DropReason.NON_POSITIVE: "dropped_nonpositive",
}


class TickGate:
    """Decide whether a parsed tick is delivered, counting every drop."""

    def __init__(self, counters: Counters) -> None:
        self._counters = counters
        self._last: dict[tuple[str, str], tuple[datetime, int]] = {}
        self._lock = threading.Lock()

    def admit(self, tick: DepthTick | TradeTick) -> bool:
        """Return whether `tick` goes to the consumer; count it either way."""
        is_depth = isinstance(tick, DepthTick)
        reason = check_depth(tick) if isinstance(tick, DepthTick) else check_trade(tick)
        if reason is not None:
            self._counters.add(_COUNTER_FOR_REASON[reason])
            return False
        key = ("depth" if is_depth else "trade", tick.code)
        with self._lock:
            last = self._last.get(key)
            if last is not None and tick.order_key <= last:
                self._counters.add("dropped_stale")
                return False
            self._last[key] = tick.order_key
        self._counters.add("ticks")
        self._counters.add("depth_ticks" if is_depth else "trade_ticks")
        return True

    def forget(self, code: str) -> None:
        """Forget the ordering state of `code` (it was dropped from the subscription)."""
        with self._lock:
            self._last.pop(("depth", code), None)
            self._last.pop(("trade", code), None)
