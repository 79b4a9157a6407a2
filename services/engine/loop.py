"""The positions engine's loop: one pub/sub subscription, ticks in, valuations and stop outs out.

See the package docstring for the policy; this module is the plumbing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import redis
from sqlalchemy import Engine

from schemas import events as kinds
from services import margin_calls
from services.engine import events
from services.engine.book import PositionBook
from services.engine.loader import load_account, load_all
from services.engine.revalue import Levels, Revaluation, revalue_symbol
from services.quotes import QuoteStore
from services.realtime import Channels, Publisher

log = logging.getLogger(__name__)

STOP_OUT_TASK = "margin.stop_out"
FLUSH_EVERY_S = 0.05  # how often due valuations are looked for (each account's own limit is
# publish_interval)
Enqueue = Callable[[str, list[Any]], object]


@dataclass(frozen=True)
class EngineSettings:
    """Thresholds and timings of the engine."""

    levels: Levels
    channels: Channels
    publish_interval: float = 0.25
    stop_out_cooldown: float = 5.0
    reload_interval: float = 60.0
    batch: int = 1000
    publish_batch: int = 500


class PositionsEngine:
    """Revalue open positions on every tick and publish throttled account valuations."""

    def __init__(
        self, sql: Engine, client: redis.Redis, enqueue: Enqueue, settings: EngineSettings
    ) -> None:
        self._sql, self._redis, self._enqueue, self.settings = sql, client, enqueue, settings
        self._publisher = Publisher(client, settings.channels)
        self.book = PositionBook()
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._reconnected = threading.Event()
        self._thread: threading.Thread | None = None
        self._mids: dict[str, Decimal] = {}
        self._quotes: dict[str, tuple[float, float]] = {}
        self._next_reload = 0.0
        self._next_flush = 0.0
        # A full reload in the background: the loader thread, its result, and the accounts whose
        # events arrived meanwhile (reloaded again once the new book is swapped in).
        self._loader: threading.Thread | None = None
        self._loaded: PositionBook | None = None
        self._touched: set[int] = set()

    def start(self) -> None:
        """Run the engine in a background thread."""
        self._thread = threading.Thread(target=self.run, name="positions-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Subscribe, load everything, and follow ticks and account events until stopped."""
        while not self._stop.is_set():
            try:
                self._session()
            except Exception:  # the loop must outlive any one failure; it reloads on return
                log.exception("event=engine_error")
                self.ready.clear()
                self._stop.wait(1.0)

    def _session(self) -> None:
        pubsub = self._redis.pubsub()
        try:
            channels = self.settings.channels
            pubsub.subscribe(channels.quotes, channels.accounts)
            self._await_subscribed(pubsub)
            assert pubsub.connection is not None
            pubsub.connection.register_connect_callback(self._on_reconnect)
            self.reload_all()
            self.ready.set()
            while not self._stop.is_set():
                self._pump(pubsub)
                self._housekeeping()
        finally:
            pubsub.close()

    def _await_subscribed(self, pubsub: Any) -> None:
        """Wait until both channels are subscribed, so nothing after the load is missed."""
        confirmed = 0
        deadline = time.monotonic() + 10
        while confirmed < 2:
            if time.monotonic() > deadline:
                raise redis.TimeoutError("pub/sub subscription not confirmed")
            message = pubsub.get_message(timeout=1.0)
            confirmed += message is not None and message["type"] == "subscribe"

    def _on_reconnect(self, _connection: object) -> None:
        self._reconnected.set()

    def reload_all(self) -> None:
        """Load every open position now (the loop waits) and swap the new book in."""
        self._reconnected.clear()
        with self._sql.connect() as connection:
            fresh = load_all(connection)
        self._swap(fresh, set())

    def _begin_reload(self) -> None:
        """Start loading every open position in a thread; ticks keep flowing meanwhile."""
        self._reconnected.clear()
        self._touched = set()
        self._loader = threading.Thread(target=self._load, name="engine-reload", daemon=True)
        self._loader.start()

    def _load(self) -> None:
        try:
            with self._sql.connect() as connection:
                self._loaded = load_all(connection)
        except Exception:  # the next reload tries again; the current book stays in use
            log.exception("event=engine_reload_failed")

    def _finish_reload(self) -> None:
        """Swap in the book the loader built, if it is done."""
        if self._loader is None or self._loader.is_alive():
            return
        self._loader.join()
        self._loader = None
        loaded, self._loaded = self._loaded, None
        if loaded is not None:
            self._swap(loaded, self._touched)
        else:
            self._next_reload = time.monotonic() + self.settings.reload_interval

    def _swap(self, fresh: PositionBook, touched: set[int]) -> None:
        """Make `fresh` the book: keep what the old one knew, value it, catch up with events.

        Accounts whose events arrived while `fresh` was loaded, and accounts that held positions
        before and hold none in `fresh` (they get one last valuation), are reloaded one by one.
        """
        old = self.book
        fresh.carry_over(old)
        n = old.accounts.size
        held_before = old.accounts.id[:n][old.accounts.margin[:n] != 0]
        now_held = fresh.accounts.id[: fresh.accounts.size]
        emptied = set(np.setdiff1d(held_before, now_held, assume_unique=True).tolist())
        for account_id in emptied:
            row = old.accounts.rows[account_id]
            currency = old.accounts.currencies[int(old.accounts.currency[row])]
            fresh.accounts.upsert(
                account_id, float(old.accounts.balance[row]), currency, int(old.accounts.seq[row])
            )
        self.book = fresh
        for symbol, quote in QuoteStore(self._redis).client_quotes().items():
            self._remember(symbol, quote.bid, quote.ask)
        for symbol in list(fresh.symbols):
            self._revalue(symbol)
        if touched | emptied:
            self.reload_accounts(touched | emptied)
        self._next_reload = time.monotonic() + self.settings.reload_interval
        log.info("event=engine_reloaded accounts=%d", fresh.accounts.size)

    def reload_accounts(self, account_ids: set[int]) -> None:
        """Reload the accounts' balances and positions and revalue the symbols they hold."""
        symbols: set[str] = set()
        with self._sql.connect() as connection:
            for account_id in account_ids:
                symbols |= load_account(self.book, connection, account_id)
        for symbol in symbols:
            self._revalue(symbol)

    def on_quote(self, data: Mapping[str, Any]) -> None:
        """Take a tick (client prices) and revalue that symbol's positions."""
        symbol = str(data["symbol"])
        self._remember(symbol, Decimal(data["bid"]), Decimal(data["ask"]))
        self._revalue(symbol)

    def _remember(self, symbol: str, bid: Decimal, ask: Decimal) -> None:
        self._mids[symbol] = (bid + ask) / 2
        self._quotes[symbol] = (float(bid), float(ask))

    def _revalue(self, symbol: str) -> None:
        book, quote = self.book.symbols.get(symbol), self._quotes.get(symbol)
        if book is None or book.size == 0 or quote is None:
            return
        result = revalue_symbol(book, self.book.accounts, *quote, self._mids, self.settings.levels)
        if result.margin_calls.size or result.stop_outs.size or result.recovered.size:
            self._act(result)

    def _act(self, result: Revaluation) -> None:
        """Announce margin calls (once per crossing, with the sweep: services.margin_calls),
        forget recovered ones, and enqueue stop outs (at most once per cooldown)."""
        accounts, now = self.book.accounts, time.monotonic()
        if result.recovered.size:
            margin_calls.recovered(self._redis, accounts.id[result.recovered].tolist())
        crossed = accounts.id[result.margin_calls].tolist()
        new = set(margin_calls.announce(self._redis, crossed))
        rows = [row for row, account_id in zip(result.margin_calls, crossed, strict=True)
                if account_id in new]  # fmt: skip
        calls = events.margin_calls(accounts, np.array(rows, dtype=np.int64), self.settings.levels)
        self._publisher.account_events(calls)
        cooldown = self.settings.stop_out_cooldown
        for account_id in events.due_stop_outs(accounts, result.stop_outs, now, cooldown):
            log.warning("event=engine_stop_out account_id=%d", account_id)
            self._enqueue(STOP_OUT_TASK, [account_id])

    def _pump(self, pubsub: Any) -> None:
        """Drain a batch of messages: reload changed accounts, then revalue the latest ticks."""
        quotes: dict[str, Mapping[str, Any]] = {}
        reloads: set[int] = set()
        message = pubsub.get_message(timeout=0.05)
        for _ in range(self.settings.batch):
            if message is None:
                break
            if message["type"] == "message":
                self._classify(message, quotes, reloads)
            message = pubsub.get_message(timeout=0.0)
        if reloads:
            self.reload_accounts(reloads)
            if self._loader is not None:
                self._touched |= reloads
        for data in quotes.values():
            self.on_quote(data)

    def _classify(
        self, message: Mapping[str, Any], quotes: dict[str, Mapping[str, Any]], reloads: set[int]
    ) -> None:
        """Keep the latest tick per symbol; note accounts whose events show an unloaded change."""
        try:
            body = parse_message(message["data"])
            data = body["data"]
            if message["channel"] == self.settings.channels.quotes:
                quotes[str(data["symbol"])] = data
            elif self._needs_reload(str(body["type"]), int(data["account_id"]), int(data["seq"])):
                reloads.add(int(data["account_id"]))
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("event=engine_bad_message channel=%s error=%r", message["channel"], exc)

    def _needs_reload(self, kind: str, account_id: int, seq: int) -> bool:
        """Return whether an account event shows a change (or a gap) not loaded yet."""
        if kind in (kinds.ACCOUNT_VALUED, kinds.MARGIN_CALL):
            return False  # our own
        row = self.book.accounts.rows.get(account_id)
        known = -1 if row is None else int(self.book.accounts.seq[row])
        return kind == kinds.STOP_OUT or seq > known

    def _housekeeping(self) -> None:
        """Publish due valuations; reload everything after a reconnect or periodically."""
        now = time.monotonic()
        self._finish_reload()
        if self._loader is None and (self._reconnected.is_set() or now >= self._next_reload):
            self._begin_reload()
        if now < self._next_flush:
            return
        self._next_flush = now + FLUSH_EVERY_S
        settings = self.settings
        valued = events.due_valuations(
            self.book.accounts, now, settings.publish_interval, settings.publish_batch
        )
        self._publisher.account_events(valued)


def parse_message(raw: str | bytes) -> dict[str, Any]:
    """Parse a pub/sub message body (an envelope object)."""
    body = json.loads(raw)
    if not isinstance(body, dict):
        raise TypeError("message is not an object")
    return body
