"""One Redis subscription per web process, fanned out to this process's sockets.

Policy:
- One pub/sub connection subscribes the quotes, accounts and revoked channels; every message is
  serialised once by its publisher and forwarded to sockets as the same string.
- Quotes go to the sockets subscribed to the symbol; account events to the sockets of that
  account; a revoked token id closes the sockets that authenticated with it.
- Fan-out only queues (Connection.offer_*): it never writes to a socket, so a slow socket never
  blocks the others.
- Pub/sub is at-most-once: after a Redis failure the hub reconnects with back-off, sends every
  socket a `resync` message, since events may have been lost (clients compare sequence numbers
  and ask for a snapshot anyway), and checks every socket's token against the blocklist, since
  a revocation may have been lost too.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass

import orjson
import redis

from schemas.events import RESYNC
from services import tokens
from services.realtime import Channels, message
from webapp.ws.connection import Connection

log = logging.getLogger(__name__)


class Hub:
    """The process's registry of sockets and its one Redis subscription."""

    def __init__(self, redis_url: str, channels: Channels) -> None:
        self._url = redis_url
        self.channels = channels
        self._lock = threading.Lock()
        self._by_account: dict[int, set[Connection]] = defaultdict(set)
        self._by_symbol: dict[str, set[Connection]] = defaultdict(set)
        self._by_jti: dict[str, set[Connection]] = defaultdict(set)
        self._thread: threading.Thread | None = None
        self.subscribed = threading.Event()

    def register(self, connection: Connection) -> None:
        """Add a socket (and start the subscription on first use)."""
        with self._lock:
            self._by_account[connection.account_id].add(connection)
            self._by_jti[connection.jti].add(connection)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ws-hub", daemon=True)
                self._thread.start()

    def unregister(self, connection: Connection) -> None:
        """Remove a socket from every index."""
        with self._lock:
            self._by_account[connection.account_id].discard(connection)
            self._by_jti[connection.jti].discard(connection)
            for symbol in connection.symbols:
                self._by_symbol[symbol].discard(connection)

    def set_symbols(self, connection: Connection, symbols: set[str]) -> None:
        """Replace the quote symbols a socket is subscribed to."""
        with self._lock:
            for symbol in connection.symbols - symbols:
                self._by_symbol[symbol].discard(connection)
            for symbol in symbols - connection.symbols:
                self._by_symbol[symbol].add(connection)
            connection.symbols = set(symbols)

    def dispatch(self, channel: str, text: str) -> None:
        """Queue one published message on the sockets it concerns."""
        if channel == self.channels.quotes:
            symbol = orjson.loads(text)["data"]["symbol"]
            with self._lock:
                targets = list(self._by_symbol.get(symbol, ()))
            for connection in targets:
                connection.offer_quote(symbol, text)
        elif channel == self.channels.accounts:
            account_id = orjson.loads(text)["data"]["account_id"]
            with self._lock:
                targets = list(self._by_account.get(account_id, ()))
            for connection in targets:
                connection.offer_event(text)
        elif channel == self.channels.revoked:
            with self._lock:
                targets = list(self._by_jti.get(text, ()))
            for connection in targets:
                connection.close("token revoked")

    def _run(self) -> None:
        backoff = 0.5
        while True:
            try:
                self._listen()
            except (redis.RedisError, OSError) as exc:
                self.subscribed.clear()
                log.warning("event=ws_hub_redis_error error=%r retry_in=%.1f", exc, backoff)
                self._broadcast_resync()
                threading.Event().wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def _listen(self) -> None:
        client = redis.Redis.from_url(self._url, decode_responses=True, health_check_interval=30)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        channels = self.channels
        pubsub.subscribe(channels.quotes, channels.accounts, channels.revoked)
        self._close_revoked(client)  # revocations published while we were not listening
        self.subscribed.set()
        for item in pubsub.listen():
            if item["type"] == "message":
                self._safe_dispatch(item["channel"], item["data"])

    def _close_revoked(self, client: redis.Redis) -> None:
        """Close the sockets whose token is on the blocklist (one pipelined round trip)."""
        with self._lock:
            jtis = [jti for jti, group in self._by_jti.items() if group]
        if not jtis:
            return
        pipe = client.pipeline(transaction=False)
        for jti in jtis:
            pipe.exists(tokens.PREFIX + jti)
        for jti, revoked in zip(jtis, pipe.execute(), strict=True):
            if revoked:
                self.dispatch(self.channels.revoked, jti)

    def _safe_dispatch(self, channel: str, text: str) -> None:
        try:
            self.dispatch(channel, text)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("event=ws_hub_bad_message channel=%s error=%r", channel, exc)

    def _broadcast_resync(self) -> None:
        text = message(RESYNC, _Resync("real-time feed interrupted"))
        with self._lock:
            targets = [c for group in self._by_account.values() for c in group]
        for connection in targets:
            connection.offer_event(text)


@dataclass(frozen=True)
class _Resync:
    reason: str
