"""The simulator's own rendering of Alltick frames, written from docs/alltick-protocol.md.

It does not reuse the client's code, so the two cannot share a misreading of the protocol.

Policy: pushes carry only `cmd_id` and `data`; one instrument per push; `seq` and `tick_time` are
rendered as ints or numeric strings, in milliseconds or seconds, as the runtime format says. REST
items render every number as a string except `trade_direction`. Faults render deliberately wrong
frames: `malformed` (a non-numeric price), `crossed` (bid above ask), `non_positive` (zero prices),
`out_of_order` (a copy of the last quote one second and one seq older).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from marketdata.simulator.market import Quote

HEARTBEAT, SUB_DEPTH, SUB_TRADE, CANCEL = 22000, 22002, 22004, 22006
PUSH_TRADE, PUSH_DEPTH = 22998, 22999
OK, TOKEN, CODE_INVALID, WS_TOO_MANY = 200, 401, 600, 606
MSG_HEADER_INVALID = "request header param invalid"
MSG_DATA_INVALID = "request data param invalid"
MSG_TOO_MANY = "too many requests and connection will be closed"
FAULTS = ("malformed", "crossed", "non_positive", "out_of_order")


@dataclass(frozen=True, slots=True)
class Format:
    """How `seq` and `tick_time` are rendered in pushes."""

    numbers: str = "int"
    time_unit: str = "ms"


def _num(value: int, fmt: Format) -> int | str:
    return value if fmt.numbers == "int" else str(value)


def _time(ms: int, fmt: Format) -> int | str:
    return _num(ms // 1000 if fmt.time_unit == "s" else ms, fmt)


def _levels(levels: tuple[tuple[Decimal, Decimal], ...], count: int) -> list[dict[str, str]]:
    return [{"price": str(p), "volume": str(v)} for p, v in levels[:count]]


def depth_data(quote: Quote, levels: int, fmt: Format) -> dict[str, Any]:
    """Return the `data` of an order-book push."""
    return {
        "code": quote.code,
        "seq": _num(quote.seq, fmt),
        "tick_time": _time(quote.tick_time_ms, fmt),
        "bids": _levels(quote.bids, levels),
        "asks": _levels(quote.asks, levels),
    }


def trade_data(quote: Quote, fmt: Format) -> dict[str, Any]:
    """Return the `data` of a trade push."""
    return {
        "code": quote.code,
        "seq": _num(quote.seq, fmt),
        "tick_time": _time(quote.tick_time_ms, fmt),
        "price": str(quote.price),
        "volume": str(quote.volume),
        "turnover": str((quote.price * quote.volume).quantize(Decimal("0.01"))),
        "trade_direction": quote.trade_direction,
    }


def push(cmd_id: int, data: dict[str, Any]) -> str:
    """Serialise a push."""
    return json.dumps({"cmd_id": cmd_id, "data": data}, separators=(",", ":"))


def ack(cmd_id: int, seq_id: int, trace: str, ret: int = OK, msg: str = "ok") -> str:
    """Serialise the response to a request with `cmd_id`."""
    body = {"ret": ret, "msg": msg, "cmd_id": cmd_id + 1, "seq_id": seq_id, "trace": trace}
    return json.dumps({**body, "data": {}}, separators=(",", ":"))


def request_error(ret: int, msg: str) -> str:
    """Serialise the answer to a request the server could not read."""
    body = {"ret": ret, "msg": msg, "cmd_id": 0, "seq_id": 0, "trace": "", "data": {}}
    return json.dumps(body, separators=(",", ":"))


def rest_trade_item(quote: Quote) -> dict[str, Any]:
    """Return a `/trade-tick` item (numbers as strings)."""
    return trade_data(quote, Format(numbers="string"))


def rest_depth_item(quote: Quote, levels: int) -> dict[str, Any]:
    """Return a `/depth-tick` item (numbers as strings)."""
    return depth_data(quote, levels, Format(numbers="string"))


def fault_depth(kind: str, quote: Quote, levels: int, fmt: Format) -> str:
    """Serialise one deliberately wrong depth push of `kind`."""
    if kind == "out_of_order":
        older = replace(quote, seq=max(quote.seq - 1, 0), tick_time_ms=quote.tick_time_ms - 1000)
        return push(PUSH_DEPTH, depth_data(older, levels, fmt))
    data = depth_data(quote, levels, fmt)
    if kind == "malformed":
        data["bids"] = [{"price": "not-a-price", "volume": "1"}]
    elif kind == "crossed":
        data["bids"], data["asks"] = data["asks"], data["bids"]
    elif kind == "non_positive":
        data["bids"] = [{"price": "0", "volume": "1"}]
        data["asks"] = [{"price": "0", "volume": "1"}]
    else:
        raise ValueError(f"unknown fault {kind!r}")
    return push(PUSH_DEPTH, data)
