"""The fault-injection API on the simulator's own port, under `/_control/` (JSON in, JSON out).

Policy: every request needs the control token (SIMULATOR_CONTROL_TOKEN) as
`Authorization: Bearer TOKEN`, or gets 401; every POST needs `Content-Type: application/json`, or
gets 415 (so a page in a browser cannot drive it with a form or a "simple" cross-site request).
The token is compared in constant time and never logged. A simulator started without a token
makes a random one, so its control API is closed to everyone but its owner (`Simulator`).
Every POST answers `{"ok": true, ...}` or HTTP 400 `{"ok": false, "error": "..."}`. Endpoints:
- GET  /_control/state                               connections, stats, format, faults
- POST /_control/stale   {"code", "stale": true}     stop (or resume) pushing one code
- POST /_control/drop    {}                          close every WebSocket connection
- POST /_control/refuse  {"enabled", "status": 429}  refuse WebSocket upgrades with that status
- POST /_control/inject  {"code", "kind"}            one malformed|crossed|non_positive|out_of_order
                                                     depth push to the code's depth subscribers
- POST /_control/format  {"numbers": "int"|"string", "time_unit": "ms"|"s"}
- POST /_control/fast    {"enabled", "rate": null}   per-code rate, or null for as fast as possible
- POST /_control/price   {"code", "mid": "1.2345", "hold": false}   move a mid (and push at once)
- POST /_control/spike   {"code", "factor": "1.3"}   push one update at factor x the mid (a bad
                                                     tick); the walk goes on where it was
- POST /_control/reset   {}                          fresh market, no faults, default format
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from marketdata.simulator import wire
from marketdata.simulator.config import NUMBERS, TIME_UNITS
from marketdata.simulator.state import SimState
from marketdata.simulator.ticker import publish

Handler = Callable[[SimState, dict[str, Any]], Awaitable[dict[str, Any]]]


class ControlError(Exception):
    """A control request that cannot be applied."""


def add_control_routes(app: web.Application, state: SimState) -> None:
    """Register the control endpoints, each behind the token of `state.config`."""
    app.router.add_get("/_control/state", _state_view(state))
    handlers: dict[str, Handler] = {
        "stale": _stale,
        "drop": _drop,
        "refuse": _refuse,
        "inject": _inject,
        "format": _format,
        "fast": _fast,
        "price": _price,
        "spike": _spike,
        "reset": _reset,
    }
    for name, handler in handlers.items():
        app.router.add_post(f"/_control/{name}", _post_view(state, handler))


def refusal(request: web.Request, token: str) -> web.Response | None:
    """Return the 401 or 415 answer to a request that may not use the control API, or None."""
    presented = request.headers.get("Authorization", "")
    scheme, _, value = presented.partition(" ")
    if not (
        token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(value.strip().encode(), token.encode())
    ):
        return web.json_response(
            {"ok": False, "error": "a valid control token is required"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="simulator-control"'},
        )
    if request.method == "POST" and request.content_type != "application/json":
        return web.json_response(
            {"ok": False, "error": "Content-Type must be application/json"}, status=415
        )
    return None


def _state_view(state: SimState) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def view(request: web.Request) -> web.Response:
        refused = refusal(request, state.config.control_token)
        return refused or web.json_response(state.snapshot())

    return view


def _post_view(
    state: SimState, handler: Handler
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def view(request: web.Request) -> web.Response:
        refused = refusal(request, state.config.control_token)
        if refused is not None:
            return refused
        raw = await request.text()
        try:
            body = await _json_object(raw)
            result = await handler(state, body)
        except ControlError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True, **result})

    return view


async def _json_object(raw: str) -> dict[str, Any]:
    import json

    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise ControlError("body is not JSON") from exc
    if not isinstance(body, dict):
        raise ControlError("body is not an object")
    return body


def _code(state: SimState, body: dict[str, Any]) -> str:
    code = body.get("code")
    if not isinstance(code, str) or code not in state.market.walks:
        raise ControlError(f"unknown code {code!r}")
    return code


async def _stale(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    code = _code(state, body)
    if body.get("stale", True):
        state.faults.stale.add(code)
    else:
        state.faults.stale.discard(code)
    return {"stale": sorted(state.faults.stale)}


async def _drop(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    connections = list(state.connections)
    state.stats["dropped_by_control"] += len(connections)
    await asyncio.gather(*(conn.ws.close() for conn in connections))
    return {"dropped": len(connections)}


async def _refuse(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    status = body.get("status", 429)
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise ControlError("status must be an HTTP error status")
    state.faults.refuse_status = status if body.get("enabled", True) else None
    return {"refuse_status": state.faults.refuse_status}


async def _inject(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    code, kind = _code(state, body), body.get("kind")
    if kind not in wire.FAULTS:
        raise ControlError(f"kind must be one of {wire.FAULTS}")
    quote = state.market.last(code)
    targets = [conn for conn in state.connections if code in conn.depth]
    for conn in targets:
        state.enqueue(conn, wire.fault_depth(kind, quote, conn.depth[code], state.format))
    state.stats[f"injected_{kind}"] += len(targets)
    return {"sent": len(targets)}


async def _format(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    numbers = body.get("numbers", state.format.numbers)
    time_unit = body.get("time_unit", state.format.time_unit)
    if numbers not in NUMBERS or time_unit not in TIME_UNITS:
        raise ControlError(f"numbers in {NUMBERS}, time_unit in {TIME_UNITS}")
    state.format = wire.Format(numbers, time_unit)
    return {"numbers": numbers, "time_unit": time_unit}


async def _fast(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    rate = body.get("rate")
    if rate is not None and (not isinstance(rate, int | float) or rate <= 0):
        raise ControlError("rate must be a positive number or null")
    state.faults.fast = bool(body.get("enabled", True))
    state.faults.fast_rate = float(rate) if rate is not None else None
    state.schedule_version += 1
    return {"fast": state.faults.fast, "rate": state.faults.fast_rate}


async def _price(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    code = _code(state, body)
    try:
        mid = Decimal(str(body.get("mid")))
    except InvalidOperation as exc:
        raise ControlError("mid must be a decimal string") from exc
    if not mid.is_finite() or mid <= 0:
        raise ControlError("mid must be positive")
    state.market.walks[code].set_mid(mid, hold=bool(body.get("hold", False)))
    publish(state, code)
    return {"code": code, "mid": str(mid)}


async def _spike(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    code = _code(state, body)
    try:
        factor = Decimal(str(body.get("factor")))
    except InvalidOperation as exc:
        raise ControlError("factor must be a decimal string") from exc
    if not factor.is_finite() or factor <= 0:
        raise ControlError("factor must be positive")
    publish(state, code, state.market.walks[code].spike(factor))
    return {"code": code, "factor": str(factor)}


async def _reset(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    state.reset()
    return {}
