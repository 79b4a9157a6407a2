"""`GET /ws`: authenticated before the upgrade, then a snapshot, then live events and quotes.

Policy:
- The access token comes as `?token=` (browsers cannot set headers on a WebSocket) or a one-time
  `?ticket=` from `POST /api/ws/ticket` (valid 30 s, single use). A missing, bad, expired or
  revoked token, or an `Origin` that is neither this server nor in CORS_ORIGINS, is answered
  with a plain HTTP 401/403 in the error shape: no socket is ever opened for it.
- On connect the server sends `snapshot` (account, open positions, `seq`) first. The socket is
  registered before the snapshot is read, so no event is lost in between; a client ignores events
  whose `seq` is not above the snapshot's.
- Client messages: `subscribe` / `unsubscribe` {"symbols": [...]}, `ping`, `snapshot`. A malformed
  or unknown message gets an `error` message. More than FLOOD_LIMIT messages in a second, or a
  frame over MAX_MESSAGE_BYTES, closes the socket (1008 / 1009).
- The socket closes when its token expires or is revoked (checked every WRITE_WAIT_S seconds and
  on the revocation broadcast), when it stops reading (send queue overflow or a blocked send), or
  when the peer stops answering pings (PING_INTERVAL_S).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request
from flask_jwt_extended import decode_token
from jwt import PyJWTError
from simple_websocket import ConnectionClosed

from domain.instruments import INSTRUMENTS
from schemas.events import ERROR, PONG, SNAPSHOT
from services.positions import snapshot
from services.realtime import Channels, message
from webapp.auth import access_check
from webapp.context import quote_store, sql
from webapp.errors import error_response
from webapp.extensions import redis_store, sock
from webapp.ws.connection import Connection
from webapp.ws.hub import Hub

log = logging.getLogger(__name__)

FLOOD_LIMIT = 20
MAX_MESSAGE_BYTES = 4096
MAX_SYMBOLS = 50
PING_INTERVAL_S = 20
WRITE_WAIT_S = 0.5
SEND_TIMEOUT_S = 5
TICKET_PREFIX = "ws:ticket:"
TICKET_TTL_S = 30
ENDPOINT = "ws_relay"


def hub() -> Hub:
    """Return this process's hub (one per app, created on first use)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "ws_hub" not in app.extensions:
        channels = Channels.with_prefix(app.config["REDIS_CHANNEL_PREFIX"])
        app.extensions["ws_hub"] = Hub(app.config["REDIS_URL"], channels)
    found: Hub = app.extensions["ws_hub"]
    return found


def issue_ticket(claims: dict[str, Any]) -> str:
    """Store a one-time ticket standing for the presented access token; return it."""
    ticket = secrets.token_urlsafe(32)
    payload = {
        "sub": claims["sub"],
        "jti": claims["jti"],
        "exp": claims["exp"],
        "account_id": claims.get("account_id"),
    }
    redis_store.client.set(TICKET_PREFIX + ticket, json.dumps(payload), ex=TICKET_TTL_S)
    return ticket


def _claims_from_request() -> dict[str, Any] | None:
    """Return the claims of the ?token= or ?ticket= presented, or None."""
    ticket = request.args.get("ticket")
    if ticket:
        raw = redis_store.client.getdel(TICKET_PREFIX + ticket)
        return json.loads(raw) if raw else None
    token = request.args.get("token")
    if not token:
        return None
    try:
        claims = decode_token(token)
    except PyJWTError:
        return None
    return claims if claims.get("type") == "access" else None


def authenticate_upgrade() -> Any:
    """Refuse the upgrade unless the origin is allowed and the token is valid (before_request)."""
    if request.endpoint is None or not request.endpoint.endswith(ENDPOINT):
        return None
    origin = request.headers.get("Origin")
    same_origin = f"{request.scheme}://{request.host}"
    if origin and origin != same_origin and origin not in current_app.config["CORS_ORIGINS"]:
        return error_response(403, "origin not allowed", "ORIGIN_NOT_ALLOWED")
    claims = _claims_from_request()
    if claims is None or claims["exp"] <= time.time():
        return error_response(401, "a valid access token or ticket is required", "TOKEN_INVALID")
    if access_check().refused(claims["jti"], int(claims["sub"])):
        return error_response(401, "token was revoked", "TOKEN_REVOKED")
    account_id = claims.get("account_id")
    if not isinstance(account_id, int):
        return error_response(401, "the token's user has no account", "TOKEN_INVALID")
    g.ws_connection = Connection(account_id, claims["jti"], float(claims["exp"]))
    return None


def snapshot_message(account_id: int) -> str:
    """Return the snapshot: the account valued now, its open positions and its sequence."""
    return message(SNAPSHOT, snapshot(sql(), quote_store(), account_id))


@dataclass(frozen=True)
class _Error:
    error_code: str
    message: str


def _error(code: str, text: str) -> str:
    return message(ERROR, _Error(code, text))


def handle_client_message(hub_: Hub, connection: Connection, raw: str | bytes) -> str | None:
    """Apply one client message; return the reply to queue (None when the reply is a snapshot)."""
    try:
        received = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _error("BAD_MESSAGE", "messages are JSON objects with a 'type'")
    if not isinstance(received, dict) or not isinstance(received.get("type"), str):
        return _error("BAD_MESSAGE", "messages are JSON objects with a 'type'")
    kind = received["type"]
    if kind == "ping":
        return message(PONG, {})
    if kind == "snapshot":
        return None
    if kind in {"subscribe", "unsubscribe"}:
        return _change_symbols(hub_, connection, kind, received.get("symbols"))
    return _error("UNKNOWN_TYPE", f"unknown message type {kind!r}")


def _change_symbols(hub_: Hub, connection: Connection, kind: str, symbols: Any) -> str:
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        return _error("BAD_MESSAGE", "'symbols' must be a list of symbols")
    unknown = sorted(set(symbols) - set(INSTRUMENTS))
    if unknown:
        return _error("UNKNOWN_SYMBOL", f"unknown symbols: {', '.join(unknown)}")
    asked = set(symbols)
    wanted = connection.symbols | asked if kind == "subscribe" else connection.symbols - asked
    if len(wanted) > MAX_SYMBOLS:
        return _error("TOO_MANY_SYMBOLS", f"at most {MAX_SYMBOLS} symbols per socket")
    hub_.set_symbols(connection, wanted)
    return message(f"{kind}d", {"symbols": sorted(wanted)})


class _Reader(threading.Thread):
    """Read client messages and queue the replies; enforce the flood limit."""

    def __init__(self, ws: Any, connection: Connection, app: Flask, hub_: Hub) -> None:
        super().__init__(name="ws-reader", daemon=True)
        self.ws, self.connection, self.app, self.hub = ws, connection, app, hub_
        self.window_start, self.count = time.monotonic(), 0

    def run(self) -> None:
        try:
            while self.connection.closed_reason is None:
                raw = self.ws.receive()
                if raw is None:
                    continue
                if self._flooded():
                    self.connection.close("flood")
                    return
                self._handle(raw)
        except ConnectionClosed:
            self.connection.close("peer closed")

    def _flooded(self) -> bool:
        now = time.monotonic()
        if now - self.window_start >= 1:
            self.window_start, self.count = now, 0
        self.count += 1
        return self.count > FLOOD_LIMIT

    def _handle(self, raw: str | bytes) -> None:
        with self.app.app_context():
            reply = handle_client_message(self.hub, self.connection, raw)
            if reply is None:
                reply = snapshot_message(self.connection.account_id)
        self.connection.offer_event(reply)


CLOSE_CODES = {"flood": 1008, "token expired": 1008, "token revoked": 1008, "slow consumer": 1013}


@sock.route("/ws", endpoint=ENDPOINT)
def relay(ws: Any) -> None:
    """Serve one socket: snapshot first, then events and quotes until it closes."""
    connection: Connection = g.ws_connection
    process_hub = hub()
    process_hub.register(connection)
    try:
        # Registered first, so no event is missed; the snapshot then goes ahead of any event
        # queued meanwhile (those are older than it, or newer with a higher seq).
        connection.offer_first(snapshot_message(connection.account_id))
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        _Reader(ws, connection, app, process_hub).start()
        _write_until_closed(ws, connection)
    finally:
        process_hub.unregister(connection)
    reason = connection.closed_reason or "closed"
    log.info("event=ws_closed account_id=%s reason=%s", connection.account_id, reason)
    if ws.connected:
        ws.close(reason=CLOSE_CODES.get(reason, 1000), message=reason)


def _write_until_closed(ws: Any, connection: Connection) -> None:
    ws.sock.settimeout(SEND_TIMEOUT_S)  # a peer that stops reading blocks a send at most this long
    while ws.connected and connection.closed_reason is None:
        if time.time() >= connection.expires_at:
            connection.close("token expired")
            break
        for text in connection.next_batch(WRITE_WAIT_S):
            try:
                ws.send(text)
            except (OSError, ConnectionClosed):
                connection.close("send failed")
                return


def server_options() -> dict[str, Any]:
    """Return simple-websocket's options: pings for dead peers, the frame size limit."""
    return {"ping_interval": PING_INTERVAL_S, "max_message_size": MAX_MESSAGE_BYTES}
