"""One client socket's outbound side: a bounded, conflating send queue.

Policy:
- Quotes conflate: at most one pending quote per symbol, the latest wins (a slow reader sees
  fresh prices, never a backlog of old ones).
- Account events and replies are never conflated or dropped silently: they queue in order, up to
  MAX_PENDING_EVENTS; past that the reader is too slow and the socket is closed (the client
  reconnects and resynchronises from a snapshot).
- Account events go out before quotes in each batch, in the order they arrived.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

MAX_PENDING_EVENTS = 1000


@dataclass(eq=False)  # identity semantics: sockets live in sets
class Connection:
    """A registered socket: who it is, what it wants, what waits to be sent."""

    account_id: int
    jti: str
    expires_at: float
    symbols: set[str] = field(default_factory=set)
    closed_reason: str | None = None
    _quotes: dict[str, str] = field(default_factory=dict)
    _events: deque[str] = field(default_factory=deque)
    _ready: threading.Condition = field(default_factory=threading.Condition)

    def offer_quote(self, symbol: str, message: str) -> None:
        """Queue a quote, replacing a pending one of the same symbol."""
        with self._ready:
            self._quotes.pop(symbol, None)
            self._quotes[symbol] = message
            self._ready.notify()

    def offer_event(self, message: str) -> None:
        """Queue an account event or a reply; close the connection when too many are pending."""
        with self._ready:
            if len(self._events) >= MAX_PENDING_EVENTS:
                self.closed_reason = "slow consumer"
            else:
                self._events.append(message)
            self._ready.notify()

    def offer_first(self, message: str) -> None:
        """Queue a message ahead of every pending one (the snapshot, which must come first)."""
        with self._ready:
            self._events.appendleft(message)
            self._ready.notify()

    def close(self, reason: str) -> None:
        """Ask the writer to close the socket with this reason."""
        with self._ready:
            self.closed_reason = self.closed_reason or reason
            self._ready.notify()

    def next_batch(self, timeout: float) -> list[str]:
        """Wait up to `timeout` for messages; return all pending, events first."""
        with self._ready:
            if not (self._events or self._quotes or self.closed_reason):
                self._ready.wait(timeout)
            batch = list(self._events) + list(self._quotes.values())
            self._events.clear()
            self._quotes.clear()
            return batch
