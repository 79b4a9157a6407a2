"""Waiting policies of the clients: request pacing, per-endpoint rate limits, reconnect back-off.

Policy:
- `RequestPacer`: pending WebSocket requests are keyed by kind, so a second subscribe of the same
  type before the first went out coalesces into one (the list is built when it is sent); requests
  leave no closer than `spacing` seconds apart, in the order they were first queued.
- `RateLimiter`: one "next allowed" time per key; a caller waits until then. `penalise` pushes it
  out after the server said 429/605.
- `Backoff`: exponential from `floor` (never less: the plan's reconnect spacing) up to `ceiling`,
  plus up to `jitter` (a fraction) on top; a rate-limited drop skips two steps.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable


class RequestPacer:
    """Queue request kinds and release them no closer than `spacing` seconds apart."""

    def __init__(self, spacing: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._spacing = spacing
        self._clock = clock
        self._pending: dict[str, None] = {}
        self._last_sent = float("-inf")
        self._closed = False
        self._cond = threading.Condition()

    def put(self, kind: str) -> None:
        """Queue `kind` unless it is already pending."""
        with self._cond:
            self._pending.setdefault(kind, None)
            self._cond.notify_all()

    def reset(self) -> None:
        """Forget pending requests (a new connection starts clean)."""
        with self._cond:
            self._pending.clear()
            self._closed = False
            self._last_sent = float("-inf")

    def close(self) -> None:
        """Wake every waiter; `take` returns None from now on."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def take(self, timeout: float) -> str | None:
        """Return the next kind once spacing allows, or None after `timeout` or close."""
        deadline = self._clock() + timeout
        with self._cond:
            while not self._closed:
                now = self._clock()
                ready_at = self._last_sent + self._spacing
                if self._pending and now >= ready_at:
                    kind = next(iter(self._pending))
                    del self._pending[kind]
                    self._last_sent = now
                    return kind
                if now >= deadline:
                    return None
                wake = min(deadline, ready_at) if self._pending else deadline
                self._cond.wait(max(wake - now, 0.0))
            return None


class RateLimiter:
    """Space calls per key by a minimum interval, waiting when needed."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, interval: float) -> float:
        """Wait until `key` may be called again; return the seconds waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next.get(key, now))
            self._next[key] = start + interval
        waited = start - now
        if waited > 0:
            self._sleep(waited)
        return waited

    def penalise(self, key: str, seconds: float) -> None:
        """Forbid `key` for `seconds` from now (the server said we were too fast)."""
        with self._lock:
            self._next[key] = max(self._next.get(key, 0.0), self._clock() + seconds)


class Backoff:
    """Exponential reconnect delays with jitter, never below `floor`."""

    def __init__(
        self, floor: float, ceiling: float, jitter: float = 0.25, rng: random.Random | None = None
    ) -> None:
        self._floor = floor
        self._ceiling = max(ceiling, floor)
        self._jitter = jitter
        self._rng = rng or random.Random()
        self._attempts = 0

    def next_delay(self) -> float:
        """Return the delay before the next attempt and count the attempt."""
        base = max(self._floor, 0.001) * 2**self._attempts
        self._attempts = min(self._attempts + 1, 30)
        delay = min(self._ceiling, base)
        return max(self._floor, delay * (1 + self._rng.uniform(0, self._jitter)))

    def penalise(self) -> None:
        """Skip two steps after a rate-limited drop."""
        self._attempts = min(self._attempts + 2, 30)

    def reset(self) -> None:
        """Start again from `floor` after a healthy session."""
        self._attempts = 0
