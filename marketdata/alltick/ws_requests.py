"""The subscriptions a stream wants, and the requests built from them when the pacer releases them.

Policy:
- We keep the full wanted list per type ("depth", "trade"); a request always carries the whole list,
  because the server replaces a type's list on every 22002/22004. An emptied list is sent as a
  22006 cancel of that type.
- A new connection starts with nothing subscribed (`kinds_to_resubscribe` also forgets the acks).
- Each request is remembered by `seq_id` until its ack; the codes it added since the last successful
  ack of that type are its `suspects`: the ones to drop if the ack says 600/604.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from marketdata.alltick.models import Ack
from marketdata.alltick.protocol import (
    CancelType,
    build_cancel,
    build_heartbeat,
    build_subscribe_depth,
    build_subscribe_trades,
    new_trace,
)

KINDS = ("depth", "trade")
_CANCEL = {"depth": CancelType.DEPTH, "trade": CancelType.TRADE}


@dataclass(frozen=True, slots=True)
class SentRequest:
    """A request waiting for its ack."""

    kind: str
    codes: frozenset[str]
    suspects: frozenset[str]


class SubscriptionBook:
    """Wanted and acknowledged subscription lists, and the request builder."""

    def __init__(self, depth_level: int = 1) -> None:
        self._depth_level = depth_level
        self._wanted: dict[str, set[str]] = {kind: set() for kind in KINDS}
        self._acked: dict[str, frozenset[str]] = {kind: frozenset() for kind in KINDS}
        self._sent: dict[int, SentRequest] = {}
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, kind: str, codes: Iterable[str]) -> bool:
        """Add codes to a list; return whether it changed."""
        with self._lock:
            before = len(self._wanted[kind])
            self._wanted[kind].update(codes)
            return len(self._wanted[kind]) != before

    def remove(self, kind: str, codes: Iterable[str]) -> bool:
        """Remove codes from a list; return whether it changed."""
        with self._lock:
            before = len(self._wanted[kind])
            self._wanted[kind].difference_update(codes)
            return len(self._wanted[kind]) != before

    def wanted(self, kind: str) -> frozenset[str]:
        """Return the codes wanted for `kind`."""
        with self._lock:
            return frozenset(self._wanted[kind])

    def kinds_to_resubscribe(self) -> list[str]:
        """Forget what the last connection acknowledged; return the kinds to send again."""
        with self._lock:
            self._acked = {kind: frozenset() for kind in KINDS}
            self._sent.clear()
            return [kind for kind in KINDS if self._wanted[kind]]

    def build(self, kind: str) -> str:
        """Build the frame for `kind` ("depth", "trade" or "heartbeat") from the current lists."""
        seq_id, trace = next(self._seq), new_trace()
        if kind == "heartbeat":
            return build_heartbeat(seq_id, trace)
        with self._lock:
            codes = frozenset(self._wanted[kind])
            self._sent[seq_id] = SentRequest(kind, codes, codes - self._acked[kind])
        ordered = sorted(codes)
        if not ordered:
            return build_cancel(seq_id, trace, _CANCEL[kind])
        if kind == "depth":
            return build_subscribe_depth(seq_id, trace, ordered, self._depth_level)
        return build_subscribe_trades(seq_id, trace, ordered)

    def acknowledge(self, ack: Ack) -> SentRequest | None:
        """Match an ack to its request; on success record the list as subscribed."""
        with self._lock:
            request = self._sent.pop(ack.seq_id, None)
            if request is not None and ack.ok:
                self._acked[request.kind] = request.codes
            return request
