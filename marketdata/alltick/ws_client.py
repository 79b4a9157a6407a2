"""A thread-based Alltick WebSocket stream (websocket-client) that survives the vendor's habits.

Policy:
- One connection; the token is in the URL and only the masked URL is logged.
- Every request (subscribe, cancel, heartbeat) goes through a pacing queue: at least
  `request_spacing` apart on the connection; subscribe lists are built when sent, so the server
  always gets our full list (a 22002/22004 replaces the previous list).
- A JSON heartbeat (22000) every `heartbeat_interval`; no frame for `read_timeout` means a dead
  socket: drop it and reconnect.
- Reconnect with exponential back-off and jitter, never sooner than `reconnect_spacing` after the
  drop; resubscribe everything on every new connection.
- `ret` policy: 401 (ack, or HTTP on the upgrade) -> stop and alert; 606/605/429 (ack) or HTTP 429
  on the upgrade -> back off two extra steps; 600/604 on a subscribe -> drop the codes that request
  added and alert (the ack does not say which code failed); a cmd_id 0 answer -> alert (our bug).
- Pushes go through `TickGate` (malformed, crossed, non-positive and stale pushes are dropped and
  counted). Consumer callbacks run on the reader thread and must be quick.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

import websocket

from marketdata.alltick.errors import Ret, RetAction, action_for_ret
from marketdata.alltick.gate import Counters, StreamCounters, TickGate
from marketdata.alltick.models import Ack, DepthTick, TradeTick
from marketdata.alltick.pacing import Backoff, RequestPacer
from marketdata.alltick.protocol import CmdId, ProtocolError, mask_token, parse_frame
from marketdata.alltick.ws_requests import SubscriptionBook

log = logging.getLogger(__name__)

AlertHandler = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """Timing of the stream; the defaults are the vendor's paid-plan rules."""

    heartbeat_interval: float = 10.0
    read_timeout: float = 30.0
    request_spacing: float = 1.0
    reconnect_spacing: float = 3.0  # 10.0 on the free plan
    max_backoff: float = 60.0
    jitter: float = 0.25
    connect_timeout: float = 10.0
    depth_level: int = 1


class _Outcome(Enum):
    RECONNECT = "reconnect"
    STOP = "stop"


@dataclass
class _Session:
    ws: websocket.WebSocket
    done: threading.Event
    rate_limited: bool = False
    healthy: bool = False


class AlltickStream:
    """Keep one Alltick WebSocket connection subscribed and deliver its pushes to callbacks."""

    def __init__(
        self,
        base_ws_url: str,
        token: str,
        on_depth: Callable[[DepthTick], None],
        on_trade: Callable[[TradeTick], None] | None = None,
        *,
        settings: StreamSettings | None = None,
        on_alert: AlertHandler | None = None,
    ) -> None:
        self._url = f"{base_ws_url}{'&' if '?' in base_ws_url else '?'}token={token}"
        self._on_depth = on_depth
        self._on_trade = on_trade
        self._on_alert = on_alert
        self.settings = settings or StreamSettings()
        self._counters = Counters()
        self._gate = TickGate(self._counters)
        self._book = SubscriptionBook(self.settings.depth_level)
        self._pacer = RequestPacer(self.settings.request_spacing)
        self._backoff = Backoff(
            self.settings.reconnect_spacing, self.settings.max_backoff, self.settings.jitter
        )
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._session: _Session | None = None
        self._thread: threading.Thread | None = None
        self.stopped_by_vendor = False

    # --- public API ---------------------------------------------------------------------------

    def subscribe_depth(self, codes: Iterable[str]) -> None:
        """Add `codes` to the depth subscription (the full list is resent)."""
        if self._book.add("depth", codes):
            self._pacer.put("depth")

    def subscribe_trades(self, codes: Iterable[str]) -> None:
        """Add `codes` to the trade subscription (the full list is resent)."""
        if self._book.add("trade", codes):
            self._pacer.put("trade")

    def unsubscribe_depth(self, codes: Iterable[str]) -> None:
        """Remove `codes` from the depth subscription."""
        if self._book.remove("depth", codes):
            self._pacer.put("depth")

    def unsubscribe_trades(self, codes: Iterable[str]) -> None:
        """Remove `codes` from the trade subscription."""
        if self._book.remove("trade", codes):
            self._pacer.put("trade")

    def subscriptions(self) -> tuple[frozenset[str], frozenset[str]]:
        """Return the (depth, trade) codes we want subscribed."""
        return self._book.wanted("depth"), self._book.wanted("trade")

    def counters(self) -> StreamCounters:
        """Return a snapshot of the counters."""
        return self._counters.snapshot()

    def wait_connected(self, timeout: float) -> bool:
        """Wait until a connection is open; return whether it is."""
        return self._connected.wait(timeout)

    def start(self) -> None:
        """Run the stream on a daemon thread."""
        # Started before it is published: a concurrent `stop` must never join an unstarted thread.
        thread = threading.Thread(target=self.run_forever, name="alltick-ws", daemon=True)
        thread.start()
        self._thread = thread

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and stop reconnecting; join the thread started by `start`."""
        self._stopping.set()
        self._pacer.close()
        session = self._session
        if session is not None:
            session.done.set()
            session.ws.abort()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def run_forever(self) -> None:
        """Connect, serve and reconnect until `stop` (or a 401) ends it; blocks."""
        while not self._stopping.is_set():
            outcome = self._run_session()
            if outcome is _Outcome.STOP or self._stopping.is_set():
                break
            delay = self._backoff.next_delay()
            self._counters.add("reconnects")
            log.info("alltick_ws_reconnect_wait delay_s=%.3f", delay)
            if self._stopping.wait(delay):
                break
        log.info("alltick_ws_stopped")

    # --- one connection -----------------------------------------------------------------------

    def _run_session(self) -> _Outcome:
        ws = self._connect()
        if isinstance(ws, _Outcome):
            return ws
        session = _Session(ws=ws, done=threading.Event())
        self._session = session
        self._pacer.reset()
        for kind in self._book.kinds_to_resubscribe():
            self._pacer.put(kind)
        self._connected.set()
        writer = threading.Thread(target=self._write_loop, args=(session,), daemon=True)
        writer.start()
        try:
            outcome = self._read_loop(session)
        finally:
            self._connected.clear()
            session.done.set()
            self._pacer.close()
            ws.abort()
            writer.join()
            self._session = None
        self._settle_backoff(session)
        return outcome

    def _connect(self) -> websocket.WebSocket | _Outcome:
        masked = mask_token(self._url)
        try:
            ws = websocket.create_connection(
                self._url, timeout=self.settings.connect_timeout, enable_multithread=True
            )
        except websocket.WebSocketBadStatusException as exc:
            return self._on_refused(exc.status_code, masked)
        except (OSError, websocket.WebSocketException) as exc:
            log.warning("alltick_ws_connect_failed url=%s error=%s", masked, type(exc).__name__)
            return _Outcome.RECONNECT
        ws.settimeout(self.settings.read_timeout)
        self._counters.add("connects")
        log.info("alltick_ws_connected url=%s", masked)
        return ws

    def _on_refused(self, status: int, masked: str) -> _Outcome:
        log.warning("alltick_ws_upgrade_refused url=%s status=%s", masked, status)
        if status == 401:
            self._alert("auth", f"upgrade refused with HTTP 401 url={masked}")
            self.stopped_by_vendor = True
            return _Outcome.STOP
        if status == 429:
            self._counters.add("rate_limited")
            self._backoff.penalise()
        return _Outcome.RECONNECT

    def _settle_backoff(self, session: _Session) -> None:
        if session.rate_limited:
            self._backoff.penalise()
        elif session.healthy:
            self._backoff.reset()

    def _write_loop(self, session: _Session) -> None:
        interval = self.settings.heartbeat_interval
        next_heartbeat = time.monotonic() + interval
        while not session.done.is_set():
            if time.monotonic() >= next_heartbeat:
                self._pacer.put("heartbeat")
                next_heartbeat = time.monotonic() + interval
            kind = self._pacer.take(timeout=max(0.0, min(next_heartbeat - time.monotonic(), 0.5)))
            if kind is None:
                continue
            frame = self._book.build(kind)
            try:
                session.ws.send(frame)
            except (OSError, websocket.WebSocketException) as exc:
                log.warning("alltick_ws_send_failed kind=%s error=%s", kind, type(exc).__name__)
                session.done.set()
                session.ws.abort()
                return
            log.debug("alltick_ws_sent kind=%s", kind)

    def _read_loop(self, session: _Session) -> _Outcome:
        while not session.done.is_set():
            try:
                opcode, payload = session.ws.recv_data()
            except websocket.WebSocketTimeoutException:
                self._counters.add("read_timeouts")
                log.warning("alltick_ws_read_timeout timeout_s=%s", self.settings.read_timeout)
                return _Outcome.RECONNECT
            except (OSError, websocket.WebSocketException) as exc:
                log.info("alltick_ws_closed error=%s", type(exc).__name__)
                return _Outcome.RECONNECT
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                log.info("alltick_ws_closed_by_server")
                return _Outcome.RECONNECT
            if self._handle(payload, session) is _Outcome.STOP:
                return _Outcome.STOP
        return _Outcome.STOP if self._stopping.is_set() else _Outcome.RECONNECT

    # --- frames -------------------------------------------------------------------------------

    def _handle(self, payload: bytes, session: _Session) -> _Outcome | None:
        try:
            frame = parse_frame(payload)
        except ProtocolError as exc:
            self._counters.add("dropped_malformed")
            log.warning("alltick_ws_malformed error=%r", str(exc))
            return None
        if isinstance(frame, Ack):
            return self._on_ack(frame, session)
        if not self._gate.admit(frame):
            return None
        session.healthy = True
        self._deliver(frame)
        return None

    def _deliver(self, tick: DepthTick | TradeTick) -> None:
        try:
            if isinstance(tick, DepthTick):
                self._on_depth(tick)
            elif self._on_trade is not None:
                self._on_trade(tick)
        except Exception:
            # A consumer bug must not kill the feed thread; it is logged with its traceback.
            log.exception("alltick_ws_callback_failed code=%s", tick.code)

    def _on_ack(self, ack: Ack, session: _Session) -> _Outcome | None:
        request = self._book.acknowledge(ack)
        if ack.ok:
            if ack.cmd_id == CmdId.HEARTBEAT_ACK:
                self._counters.add("heartbeat_acks")
            return None
        self._counters.add("failed_acks")
        log.warning("alltick_ws_ack_failed cmd_id=%s ret=%s msg=%r", ack.cmd_id, ack.ret, ack.msg)
        action = action_for_ret(ack.ret)
        if ack.cmd_id == CmdId.ERROR:
            self._alert("request_rejected", f"ret={ack.ret} msg={ack.msg!r}")
        elif action is RetAction.STOP:
            self._alert("auth", f"ret={ack.ret} msg={ack.msg!r}")
            self.stopped_by_vendor = True
            return _Outcome.STOP
        elif action is RetAction.BACK_OFF:
            self._counters.add("rate_limited")
            session.rate_limited = True
            return _Outcome.RECONNECT if ack.ret == Ret.WS_TOO_MANY else None
        elif action is RetAction.DROP_CODE and request is not None:
            self._drop_codes(request.kind, request.suspects, ack)
        return None

    def _drop_codes(self, kind: str, codes: frozenset[str], ack: Ack) -> None:
        self._alert("code_rejected", f"kind={kind} codes={sorted(codes)} ret={ack.ret}")
        if self._book.remove(kind, codes):
            self._pacer.put(kind)
        for code in codes:
            self._gate.forget(code)

    def _alert(self, reason: str, detail: str) -> None:
        log.error("alltick_alert reason=%s %s", reason, detail)
        if self._on_alert is not None:
            self._on_alert(reason, detail)
