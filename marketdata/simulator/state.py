"""The simulator's runtime state: connections, their subscriptions, faults and counters.

Policy: everything here is touched only from the simulator's event loop, so it needs no locks.
A connection's pushes go through its own bounded queue; when the queue is full the push is dropped
and counted (a slow reader must not stall the market for the others).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

from marketdata.simulator.config import SimulatorConfig
from marketdata.simulator.market import Market
from marketdata.simulator.wire import Format

QUEUE_SIZE = 10_000
_ids = itertools.count(1)


@dataclass(eq=False)
class Connection:
    """One WebSocket client and what it subscribed."""

    ws: web.WebSocketResponse
    family: str
    opened_at: float
    last_heartbeat: float
    last_request: float = float("-inf")
    depth: dict[str, int] = field(default_factory=dict)
    trades: set[str] = field(default_factory=set)
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    id: int = field(default_factory=lambda: next(_ids))


@dataclass
class Faults:
    """Fault switches set through the control API."""

    stale: set[str] = field(default_factory=set)
    refuse_status: int | None = None
    fast: bool = False
    fast_rate: float | None = None


class SimState:
    """Everything mutable about one running simulator."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.connections: set[Connection] = set()
        self.reset()

    def reset(self) -> None:
        """Return to the configured start: fresh market, no faults, default format, zero stats."""
        self.market = Market(self.config.seed)
        self.format = Format(self.config.numbers, self.config.time_unit)
        self.faults = Faults()
        self.stats: Counter[str] = Counter()
        self.last_token_request = float("-inf")
        self.rest_last: dict[str, float] = {}
        self.schedule_version = getattr(self, "schedule_version", 0) + 1

    def enqueue(self, conn: Connection, frame: str) -> None:
        """Queue `frame` for `conn`, dropping it when the queue is full."""
        try:
            conn.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.stats["pushes_dropped_full_queue"] += 1

    def subscribers(self, code: str) -> list[Connection]:
        """Return the connections subscribed to `code` in either list."""
        return [c for c in self.connections if code in c.depth or code in c.trades]

    def snapshot(self) -> dict[str, object]:
        """Return a JSON-able view for the control API."""
        return {
            "connections": [
                {
                    "id": c.id,
                    "family": c.family,
                    "depth": sorted(c.depth),
                    "trades": sorted(c.trades),
                }
                for c in sorted(self.connections, key=lambda c: c.id)
            ],
            "stats": dict(self.stats),
            "format": {"numbers": self.format.numbers, "time_unit": self.format.time_unit},
            "faults": {
                "stale": sorted(self.faults.stale),
                "refuse_status": self.faults.refuse_status,
                "fast": self.faults.fast,
                "fast_rate": self.faults.fast_rate,
            },
            "limits": self.config.limits is not None,
        }
