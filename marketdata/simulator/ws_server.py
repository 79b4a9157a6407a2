"""The simulator's WebSocket endpoints (`/quote-b-ws-api`, `/quote-stock-b-ws-api`).

Policy (docs/alltick-protocol.md, 2. WebSocket):
- The upgrade needs `token=`: missing -> HTTP 401 `{"msg":"token is required","ret":401}`; a
  wrong token is refused with HTTP 401 or accepted and closed (`wrong_credential_on_upgrade`). A
  control switch refuses upgrades with HTTP 429. With limits on, connections beyond the plan are
  accepted and closed at once.
- A request missing an envelope field, or with a bad `data`, is answered `cmd_id 0, seq_id 0,
  trace ""` with `malformed_ret`. With limits on, a request sooner than `request_spacing_s` after
  the previous one on the connection (or `cross_connection_spacing_s` after the previous one of
  the token on another connection) gets ret 606 and the connection is closed.
- 22002/22004 replace that list (codes beyond the plan limit are ignored; unknown codes are
  ignored or answered 600, a setting); 22006 cancels; only 22000 resets the heartbeat clock, and a
  connection silent for `heartbeat_timeout_s` is closed. The server sends no pings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import WSMsgType, web

from marketdata.simulator import wire
from marketdata.simulator.envelope import RequestInvalid, parse_envelope, parse_symbols
from marketdata.simulator.instruments import instrument_for
from marketdata.simulator.state import Connection, SimState

log = logging.getLogger(__name__)
TOKEN_REQUIRED = {"msg": "token is required", "ret": 401}


def make_ws_handler(state: SimState, family: str) -> Any:
    """Return the aiohttp handler of one WebSocket path family."""

    async def handler(request: web.Request) -> web.StreamResponse:
        refusal = _refusal(state, request)
        if refusal is not None:
            return refusal
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        if _must_close_at_once(state, request):
            await ws.close()
            return ws
        await _serve(state, Connection(ws, family, _now(), _now()))
        return ws

    return handler


def _refusal(state: SimState, request: web.Request) -> web.Response | None:
    token = request.query.get("token")
    if not token:
        state.stats["upgrades_refused_401"] += 1
        return web.json_response(TOKEN_REQUIRED, status=401)
    if token != state.config.token and state.config.wrong_credential_on_upgrade == "refuse":
        state.stats["upgrades_refused_401"] += 1
        return web.json_response({"msg": "token invalid", "ret": 401}, status=401)
    if state.faults.refuse_status is not None:
        state.stats["upgrades_refused_429"] += 1
        return web.json_response(
            {"error_msg": "Too many requests"}, status=state.faults.refuse_status
        )
    return None


def _must_close_at_once(state: SimState, request: web.Request) -> bool:
    if request.query.get("token") != state.config.token:
        state.stats["connections_closed_bad_token"] += 1
        return True
    limits = state.config.limits
    if limits is not None and len(state.connections) >= limits.connections:
        state.stats["connections_over_plan"] += 1
        return True
    return False


async def _serve(state: SimState, conn: Connection) -> None:
    state.connections.add(conn)
    state.stats["connections_opened"] += 1
    writer = asyncio.create_task(_write_loop(conn))
    watchdog = asyncio.create_task(_heartbeat_watchdog(state, conn))
    try:
        async for message in conn.ws:
            if message.type is WSMsgType.TEXT:
                await _on_text(state, conn, message.data)
            elif message.type is WSMsgType.BINARY:
                _answer(
                    conn, wire.request_error(state.config.malformed_ret, wire.MSG_HEADER_INVALID)
                )
    finally:
        state.connections.discard(conn)
        writer.cancel()
        watchdog.cancel()
        state.stats["connections_closed"] += 1


async def _write_loop(conn: Connection) -> None:
    while not conn.ws.closed:
        frame = await conn.queue.get()
        try:
            await conn.ws.send_str(frame)
        except (ConnectionError, RuntimeError):
            return


async def _heartbeat_watchdog(state: SimState, conn: Connection) -> None:
    timeout = state.config.heartbeat_timeout_s
    while not conn.ws.closed:
        silent_for = _now() - conn.last_heartbeat
        if silent_for >= timeout:
            state.stats["closed_heartbeat_timeout"] += 1
            log.info("sim_ws_heartbeat_timeout conn=%s", conn.id)
            await conn.ws.close()
            return
        await asyncio.sleep(timeout - silent_for)


def _answer(conn: Connection, frame: str) -> None:
    # Answers share the push queue so that frames leave a connection in the order they were made.
    with contextlib.suppress(asyncio.QueueFull):
        conn.queue.put_nowait(frame)


async def _on_text(state: SimState, conn: Connection, text: str) -> None:
    state.stats["requests"] += 1
    try:
        cmd_id, seq_id, trace, data = parse_envelope(text)
    except RequestInvalid as exc:
        state.stats["requests_malformed"] += 1
        _answer(conn, wire.request_error(state.config.malformed_ret, exc.msg))
        return
    if _too_soon(state, conn):
        state.stats["rejected_606"] += 1
        await conn.ws.send_str(wire.ack(cmd_id, seq_id, trace, wire.WS_TOO_MANY, wire.MSG_TOO_MANY))
        await conn.ws.close()
        return
    try:
        ret, msg = _dispatch(state, conn, cmd_id, data)
    except RequestInvalid as exc:
        state.stats["requests_malformed"] += 1
        _answer(conn, wire.request_error(state.config.malformed_ret, exc.msg))
        return
    _answer(conn, wire.ack(cmd_id, seq_id, trace, ret, msg))
    if ret == wire.OK and cmd_id == wire.SUB_DEPTH and state.config.snapshot_on_subscribe:
        _send_snapshots(state, conn)


def _too_soon(state: SimState, conn: Connection) -> bool:
    limits, now = state.config.limits, _now()
    previous_conn, previous_token = conn.last_request, state.last_token_request
    conn.last_request = state.last_token_request = now
    if limits is None:
        return False
    if now - previous_conn < limits.request_spacing_s:
        return True
    other_connections = len(state.connections) > 1
    return other_connections and now - previous_token < limits.cross_connection_spacing_s


def _dispatch(
    state: SimState, conn: Connection, cmd_id: int, data: dict[str, Any]
) -> tuple[int, str]:
    if cmd_id == wire.HEARTBEAT:
        conn.last_heartbeat = _now()
        state.stats["heartbeats"] += 1
        return wire.OK, "ok"
    if cmd_id in (wire.SUB_DEPTH, wire.SUB_TRADE):
        return _subscribe(state, conn, cmd_id, data)
    if cmd_id == wire.CANCEL:
        return _cancel(conn, data)
    raise RequestInvalid(wire.MSG_HEADER_INVALID)


def _subscribe(
    state: SimState, conn: Connection, cmd_id: int, data: dict[str, Any]
) -> tuple[int, str]:
    symbols = parse_symbols(data)
    known = [(code, level) for code, level in symbols if _serves(conn, code)]
    if len(known) < len(symbols) and state.config.unknown_codes == "error":
        return wire.CODE_INVALID, "code invalid"
    limits = state.config.limits
    if limits is not None:
        known = known[: limits.symbols_per_connection]
    if cmd_id == wire.SUB_DEPTH:
        conn.depth = dict(known)
    else:
        conn.trades = {code for code, _ in known}
    state.stats["subscriptions"] += 1
    return wire.OK, "ok"


def _serves(conn: Connection, code: str) -> bool:
    return instrument_for(code, conn.family) is not None


def _cancel(conn: Connection, data: dict[str, Any]) -> tuple[int, str]:
    cancel_type = data.get("cancel_type")
    if isinstance(cancel_type, bool) or cancel_type not in (0, 1, 2, 3):
        raise RequestInvalid(wire.MSG_DATA_INVALID)
    if cancel_type in (0, 1):
        conn.depth = {}
    if cancel_type in (0, 2):
        conn.trades = set()
    return wire.OK, "ok"


def _send_snapshots(state: SimState, conn: Connection) -> None:
    for code, level in conn.depth.items():
        quote = state.market.last(code)
        levels = min(level, state.market.walks[code].instrument.depth_levels)
        state.enqueue(
            conn, wire.push(wire.PUSH_DEPTH, wire.depth_data(quote, levels, state.format))
        )


def _now() -> float:
    return asyncio.get_running_loop().time()
