"""The simulator's clock: step each code on its own schedule and push to its subscribers.

Policy: at `tick_rate_scale` 1 a code updates at its table rate with exponential gaps drawn from a
generator seeded by (seed, code), so timing is random but reproducible in distribution. Fast mode
updates every code at `fast_rate` per second, or with no rate as fast as the loop can go (only codes
someone subscribed). A stale code neither moves nor pushes. Each update sends one depth push to the
depth subscribers (levels capped by the instrument) and one trade push to the trade subscribers.
"""

from __future__ import annotations

import asyncio
import heapq
import random

from marketdata.simulator import wire
from marketdata.simulator.market import Quote
from marketdata.simulator.state import SimState

MAX_SLEEP_S = 0.05


def publish(state: SimState, code: str, quote: Quote | None = None) -> None:
    """Step `code` once (or send `quote`) and push it to its subscribers (unless it is stale)."""
    if code in state.faults.stale:
        return
    quote = quote if quote is not None else state.market.step(code)
    state.stats["updates"] += 1
    levels_available = state.market.walks[code].instrument.depth_levels
    for conn in state.subscribers(code):
        if code in conn.depth:
            levels = min(conn.depth[code], levels_available)
            data = wire.depth_data(quote, levels, state.format)
            state.enqueue(conn, wire.push(wire.PUSH_DEPTH, data))
            state.stats["pushes_depth"] += 1
        if code in conn.trades:
            state.enqueue(conn, wire.push(wire.PUSH_TRADE, wire.trade_data(quote, state.format)))
            state.stats["pushes_trade"] += 1


class Ticker:
    """Run the schedule of every code until cancelled."""

    def __init__(self, state: SimState) -> None:
        self._state = state
        seed = state.config.seed
        self._timing = {code: random.Random(f"{seed}:{code}:timing") for code in state.market.walks}
        self._version = -1
        self._schedule: list[tuple[float, str]] = []

    def _gap(self, code: str) -> float:
        faults = self._state.faults
        if faults.fast and faults.fast_rate:
            return 1.0 / faults.fast_rate
        rate = (
            self._state.market.walks[code].instrument.tick_rate * self._state.config.tick_rate_scale
        )
        return self._timing[code].expovariate(rate)

    def _rebuild(self, now: float) -> None:
        self._version = self._state.schedule_version
        self._schedule = [(now + self._gap(code), code) for code in self._state.market.walks]
        heapq.heapify(self._schedule)

    async def run(self) -> None:
        """Tick forever (cancel the task to stop)."""
        loop = asyncio.get_running_loop()
        while True:
            if self._version != self._state.schedule_version:
                self._rebuild(loop.time())
            if self._state.faults.fast and not self._state.faults.fast_rate:
                await self._burst()
                continue
            due, code = self._schedule[0]
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(min(delay, MAX_SLEEP_S))
                continue
            heapq.heapreplace(self._schedule, (max(due + self._gap(code), loop.time()), code))
            publish(self._state, code)

    async def _burst(self) -> None:
        codes = {c for conn in self._state.connections for c in (*conn.depth, *conn.trades)}
        for code in sorted(codes):
            publish(self._state, code)
        # Yield so the writers drain; with nobody subscribed, do not spin.
        await asyncio.sleep(0 if codes else MAX_SLEEP_S)
