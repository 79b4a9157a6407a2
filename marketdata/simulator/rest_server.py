"""The simulator's REST endpoints under `/quote-b-api` and `/quote-stock-b-api`.

The protocol: docs/alltick-protocol.md, 3. REST.

Policy: the token gate answers HTTP 401 `{"msg":"token is required","ret":401}` when `token` is
missing; a wrong token gets HTTP 200 with `ret 401 "token invalid"`. With limits on, a second
call of one endpoint sooner than its interval gets HTTP 429 `{"error_msg":"Too many requests"}`.
Otherwise the HTTP status is 200 and `ret` says: 402 for a missing or unreadable `query`, 400 for
bad `data`, 601 for an empty POST body, 600 for a code not served on this path. Every `trace` is
echoed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from marketdata.simulator import wire
from marketdata.simulator.history import PERIOD_S, candles
from marketdata.simulator.instruments import instrument_for
from marketdata.simulator.state import SimState

MAX_KLINE = 500


class RestFailure(Exception):
    """A request answered with a failed `ret`."""

    def __init__(self, ret: int, msg: str) -> None:
        super().__init__(msg)
        self.ret, self.msg = ret, msg


def add_rest_routes(app: web.Application, state: SimState, prefix: str, family: str) -> None:
    """Register the four endpoints of one path family."""
    routes = {
        ("GET", "/kline"): _kline,
        ("POST", "/batch-kline"): _batch_kline,
        ("GET", "/trade-tick"): _trade_tick,
        ("GET", "/depth-tick"): _depth_tick,
    }
    for (method, path), handler in routes.items():
        app.router.add_route(method, prefix + path, _endpoint(state, family, path, handler))


def _endpoint(state: SimState, family: str, path: str, handler: Any) -> Any:
    async def view(request: web.Request) -> web.Response:
        token = request.query.get("token")
        if not token:
            return web.json_response({"msg": "token is required", "ret": 401}, status=401)
        if _rate_limited(state, f"{family}{path}", path):
            state.stats["rest_429"] += 1
            return web.json_response({"error_msg": "Too many requests"}, status=429)
        trace = ""
        try:
            trace, data = await _read_request(request)
            if token != state.config.token:
                raise RestFailure(wire.TOKEN, "token invalid")
            payload = handler(state, family, data)
        except RestFailure as failure:
            state.stats[f"rest_ret_{failure.ret}"] += 1
            body = {"ret": failure.ret, "msg": failure.msg, "trace": trace, "data": {}}
            return web.json_response(body)
        state.stats["rest_ok"] += 1
        return web.json_response({"ret": wire.OK, "msg": "ok", "trace": trace, "data": payload})

    return view


def _rate_limited(state: SimState, key: str, path: str) -> bool:
    limits = state.config.limits
    if limits is None:
        return False
    interval = limits.batch_kline_interval_s if path == "/batch-kline" else limits.rest_interval_s
    now = asyncio.get_running_loop().time()
    if now - state.rest_last.get(key, float("-inf")) < interval:
        return True
    state.rest_last[key] = now
    return False


async def _read_request(request: web.Request) -> tuple[str, dict[str, Any]]:
    if request.method == "POST":
        raw = await request.text()
        if not raw.strip():
            raise RestFailure(601, "body empty")
        envelope = _loads(raw, 400, wire.MSG_DATA_INVALID)
    else:
        query = request.query.get("query")
        if not query:
            raise RestFailure(402, "query param invalid")
        envelope = _loads(query, 402, "query param invalid")
    trace, data = envelope.get("trace", ""), envelope.get("data")
    if not isinstance(data, dict):
        raise RestFailure(400, wire.MSG_DATA_INVALID)
    return str(trace), data


def _loads(text: str, ret: int, msg: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise RestFailure(ret, msg) from exc
    if not isinstance(value, dict):
        raise RestFailure(ret, msg)
    return value


def _int(data: dict[str, Any], name: str, default: int | None = None) -> int:
    value = data.get(name, default)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise RestFailure(400, wire.MSG_DATA_INVALID)


def _code(data: dict[str, Any], family: str) -> str:
    code = data.get("code")
    if not isinstance(code, str):
        raise RestFailure(400, wire.MSG_DATA_INVALID)
    if instrument_for(code, family) is None:
        raise RestFailure(wire.CODE_INVALID, "code invalid")
    return code


def _bars(state: SimState, family: str, item: dict[str, Any], max_num: int) -> dict[str, Any]:
    code, kline_type = _code(item, family), _int(item, "kline_type")
    num, end = _int(item, "query_kline_num", 1), _int(item, "kline_timestamp_end", 0)
    if kline_type not in PERIOD_S and kline_type != 10:
        raise RestFailure(400, wire.MSG_DATA_INVALID)
    if not 1 <= num <= max_num:
        raise RestFailure(400, wire.MSG_DATA_INVALID)
    bars = candles(state.market.walks[code], kline_type, num, end, state.config.seed)
    return {"code": code, "kline_type": kline_type, "bars": bars}


def _kline(state: SimState, family: str, data: dict[str, Any]) -> dict[str, Any]:
    result = _bars(state, family, data, MAX_KLINE)
    return {
        "code": result["code"],
        "kline_type": result["kline_type"],
        "kline_list": result["bars"],
    }


def _batch_kline(state: SimState, family: str, data: dict[str, Any]) -> dict[str, Any]:
    items = data.get("data_list")
    if not isinstance(items, list) or not items:
        raise RestFailure(601, "body empty")
    results = []
    for item in items:
        if not isinstance(item, dict):
            raise RestFailure(400, wire.MSG_DATA_INVALID)
        bars = _bars(state, family, item, 2)
        results.append(
            {"code": bars["code"], "kline_type": bars["kline_type"], "kline_data": bars["bars"]}
        )
    return {"kline_list": results}


def _codes(data: dict[str, Any], family: str) -> list[str]:
    symbols = data.get("symbol_list")
    if not isinstance(symbols, list) or not all(isinstance(s, dict) for s in symbols):
        raise RestFailure(400, wire.MSG_DATA_INVALID)
    return [_code(item, family) for item in symbols]


def _trade_tick(state: SimState, family: str, data: dict[str, Any]) -> dict[str, Any]:
    quotes = [state.market.last(code) for code in _codes(data, family)]
    return {"tick_list": [wire.rest_trade_item(q) for q in quotes]}


def _depth_tick(state: SimState, family: str, data: dict[str, Any]) -> dict[str, Any]:
    items = []
    for code in _codes(data, family):
        levels = state.market.walks[code].instrument.depth_levels
        items.append(wire.rest_depth_item(state.market.last(code), levels))
    return {"tick_list": items}
