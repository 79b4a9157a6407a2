"""Build Alltick REST requests and parse their responses; pure, no I/O.

The protocol: docs/alltick-protocol.md, 3. REST.

Policy:
- A request is `{"trace", "data"}`: URL-encoded JSON in the `query` parameter for GET, the JSON
  body for POST; the token is always the `token=` query parameter.
- A response is checked HTTP status first (401 -> AuthError, 429 -> RateLimitError, other
  non-200 -> RequestError), then `ret` (any `ret != 200` raises the VendorError of `errors.py`).
- REST numbers are strings; they go through the same tolerant field parsers as the pushes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from marketdata.alltick.errors import AuthError, ProtocolError, RateLimitError, Ret, error_for_ret
from marketdata.alltick.models import (
    DepthTick,
    Kline,
    TradeTick,
    decimal_field,
    field,
    int_field,
    require_mapping,
    str_field,
    time_field,
)
from marketdata.alltick.protocol import load_json, parse_depth, parse_trade

MAX_KLINE_NUM = 500


class Endpoint(StrEnum):
    """REST paths, relative to the REST base URL."""

    KLINE = "/kline"
    BATCH_KLINE = "/batch-kline"
    TRADE_TICK = "/trade-tick"
    DEPTH_TICK = "/depth-tick"


def _envelope(trace: str, data: Mapping[str, Any]) -> str:
    return json.dumps({"trace": trace, "data": dict(data)}, separators=(",", ":"))


def build_get_url(
    base_rest_url: str, endpoint: Endpoint, token: str, trace: str, data: Mapping[str, Any]
) -> str:
    """Return the GET URL carrying the request as URL-encoded JSON in `query`."""
    query = urlencode({"token": token, "query": _envelope(trace, data)})
    return f"{base_rest_url.rstrip('/')}{endpoint}?{query}"


def build_post(
    base_rest_url: str, endpoint: Endpoint, token: str, trace: str, data: Mapping[str, Any]
) -> tuple[str, str]:
    """Return the POST URL and its JSON body."""
    url = f"{base_rest_url.rstrip('/')}{endpoint}?{urlencode({'token': token})}"
    return url, _envelope(trace, data)


def kline_data(code: str, kline_type: int, num: int, end: int = 0) -> dict[str, Any]:
    """Return the `data` of a `/kline` request (or one `/batch-kline` item)."""
    if not 1 <= num <= MAX_KLINE_NUM:
        raise ValueError(f"num must be within 1..{MAX_KLINE_NUM}")
    return {
        "code": code,
        "kline_type": int(kline_type),
        "kline_timestamp_end": end,
        "query_kline_num": num,
        "adjust_type": 0,
    }


def batch_kline_data(items: Iterable[tuple[str, int, int]]) -> dict[str, Any]:
    """Return the `data` of a `/batch-kline` request from (code, kline_type, num) items."""
    data_list = []
    for code, kline_type, num in items:
        if num not in (1, 2):
            raise ValueError("batch-kline num must be 1 or 2")
        data_list.append(kline_data(code, kline_type, num))
    return {"data_list": data_list}


def symbol_list_data(codes: Iterable[str]) -> dict[str, Any]:
    """Return the `data` of a `/trade-tick` or `/depth-tick` request."""
    return {"symbol_list": [{"code": code} for code in codes]}


def parse_rest_response(status: int, body: str | bytes) -> Mapping[str, Any]:
    """Check the HTTP status, then `ret`, and return the response `data`."""
    if status == 401:
        raise AuthError(Ret.TOKEN, _msg_of(body) or "unauthorised")
    if status == 429:
        raise RateLimitError(Ret.RATE_LIMIT, _msg_of(body) or "too many requests")
    if status != 200:
        raise error_for_ret(status, f"http status {status}")
    message = require_mapping(load_json(body), "response")
    ret = int_field(message, "ret")
    if ret != Ret.OK:
        raise error_for_ret(ret, str(message.get("msg", "")))
    return require_mapping(field(message, "data"), "data")


def _msg_of(body: str | bytes) -> str:
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(message, dict):
        return ""
    return str(message.get("msg") or message.get("error_msg") or "")


def _bars(raw: object) -> tuple[Kline, ...]:
    if not isinstance(raw, list):
        raise ProtocolError("kline list is not a list")
    return tuple(_kline(require_mapping(item, "bar")) for item in raw)


def _kline(bar: Mapping[str, Any]) -> Kline:
    return Kline(
        timestamp=time_field(bar, "timestamp"),
        open=decimal_field(bar, "open_price"),
        high=decimal_field(bar, "high_price"),
        low=decimal_field(bar, "low_price"),
        close=decimal_field(bar, "close_price"),
        volume=decimal_field(bar, "volume"),
        turnover=decimal_field(bar, "turnover"),
    )


def parse_kline_list(data: Mapping[str, Any]) -> tuple[Kline, ...]:
    """Parse the `data` of a `/kline` response into bars, oldest first."""
    return _bars(field(data, "kline_list"))


def parse_batch_klines(data: Mapping[str, Any]) -> dict[str, tuple[Kline, ...]]:
    """Parse the `data` of a `/batch-kline` response into bars per code."""
    items = field(data, "kline_list")
    if not isinstance(items, list):
        raise ProtocolError("kline_list is not a list")
    result: dict[str, tuple[Kline, ...]] = {}
    for item in items:
        entry = require_mapping(item, "kline_list item")
        result[str_field(entry, "code")] = _bars(field(entry, "kline_data"))
    return result


def _tick_list(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = field(data, "tick_list")
    if not isinstance(items, list):
        raise ProtocolError("tick_list is not a list")
    return [require_mapping(item, "tick") for item in items]


def parse_trade_ticks(data: Mapping[str, Any]) -> tuple[TradeTick, ...]:
    """Parse the `data` of a `/trade-tick` response."""
    return tuple(parse_trade(item) for item in _tick_list(data))


def parse_depth_ticks(data: Mapping[str, Any]) -> tuple[DepthTick, ...]:
    """Parse the `data` of a `/depth-tick` response."""
    return tuple(parse_depth(item) for item in _tick_list(data))
