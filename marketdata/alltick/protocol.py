"""Build Alltick WebSocket requests and parse every frame; pure, no I/O.

The protocol: docs/alltick-protocol.md, 2. WebSocket.

Policy:
- A request carries all four envelope fields (`cmd_id`, `seq_id`, `trace`, `data`); an ack has
  `cmd_id` = request + 1; a request the server could not read is answered with `cmd_id` 0.
- A frame without a documented shape raises `ProtocolError`, whatever is wrong with it.
- The token never reaches a log: log `mask_token(url)`.
- REST envelopes live in `rest_protocol.py`, the values in `models.py`, the `ret` policy in
  `errors.py`; the values and errors are re-exported here.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any

from marketdata.alltick.errors import (
    AlltickError,
    AuthError,
    CodeRejectedError,
    ProtocolError,
    RateLimitError,
    RequestError,
    Ret,
    RetAction,
    VendorError,
    action_for_ret,
    error_for_ret,
)
from marketdata.alltick.models import (
    Ack,
    DepthTick,
    DropReason,
    Kline,
    PriceLevel,
    TradeTick,
    check_depth,
    check_trade,
    decimal_field,
    field,
    int_field,
    require_mapping,
    str_field,
    time_field,
)

__all__ = [
    "Ack",
    "AlltickError",
    "AuthError",
    "CancelType",
    "CmdId",
    "CodeRejectedError",
    "DepthTick",
    "DropReason",
    "Kline",
    "KlineType",
    "PriceLevel",
    "ProtocolError",
    "RateLimitError",
    "RequestError",
    "Ret",
    "RetAction",
    "TradeTick",
    "VendorError",
    "action_for_ret",
    "build_cancel",
    "build_heartbeat",
    "build_request",
    "build_subscribe_depth",
    "build_subscribe_trades",
    "check_depth",
    "check_trade",
    "error_for_ret",
    "load_json",
    "mask_token",
    "new_trace",
    "parse_ack",
    "parse_depth",
    "parse_frame",
    "parse_trade",
]

MAX_TRACE_LEN = 64


class CmdId(IntEnum):
    """WebSocket command ids."""

    ERROR = 0
    HEARTBEAT = 22000
    HEARTBEAT_ACK = 22001
    SUBSCRIBE_DEPTH = 22002
    SUBSCRIBE_DEPTH_ACK = 22003
    SUBSCRIBE_TRADE = 22004
    SUBSCRIBE_TRADE_ACK = 22005
    CANCEL = 22006
    CANCEL_ACK = 22007
    PUSH_TRADE = 22998
    PUSH_DEPTH = 22999


class CancelType(IntEnum):
    """What a 22006 cancels."""

    ALL = 0
    DEPTH = 1
    TRADE = 2


class KlineType(IntEnum):
    """Candle periods of `/kline`."""

    M1 = 1
    M5 = 2
    M15 = 3
    M30 = 4
    H1 = 5
    H2 = 6
    H4 = 7
    D1 = 8
    W1 = 9
    MN1 = 10


Frame = Ack | DepthTick | TradeTick


def new_trace() -> str:
    """Return a fresh trace id (unique, at most 64 characters)."""
    return uuid.uuid4().hex


def build_request(cmd_id: int, seq_id: int, trace: str, data: Mapping[str, Any]) -> str:
    """Serialise one WebSocket request."""
    if len(trace) > MAX_TRACE_LEN:
        raise ValueError(f"trace longer than {MAX_TRACE_LEN} characters")
    envelope = {"cmd_id": cmd_id, "seq_id": seq_id, "trace": trace, "data": dict(data)}
    return json.dumps(envelope, separators=(",", ":"))


def build_heartbeat(seq_id: int, trace: str) -> str:
    """Serialise a heartbeat (22000)."""
    return build_request(CmdId.HEARTBEAT, seq_id, trace, {})


def build_subscribe_depth(
    seq_id: int, trace: str, codes: Iterable[str], depth_level: int = 1
) -> str:
    """Serialise a depth subscription (22002) that replaces the whole depth list."""
    symbols = [{"code": code, "depth_level": depth_level} for code in codes]
    return build_request(CmdId.SUBSCRIBE_DEPTH, seq_id, trace, {"symbol_list": symbols})


def build_subscribe_trades(seq_id: int, trace: str, codes: Iterable[str]) -> str:
    """Serialise a trade subscription (22004) that replaces the whole trade list."""
    symbols = [{"code": code} for code in codes]
    return build_request(CmdId.SUBSCRIBE_TRADE, seq_id, trace, {"symbol_list": symbols})


def build_cancel(seq_id: int, trace: str, cancel_type: CancelType) -> str:
    """Serialise a cancellation (22006)."""
    return build_request(CmdId.CANCEL, seq_id, trace, {"cancel_type": int(cancel_type)})


def load_json(text: str | bytes) -> Any:
    """Decode JSON or raise ProtocolError."""
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("not JSON") from exc


def parse_frame(text: str | bytes) -> Frame:
    """Parse one WebSocket frame into an Ack, a DepthTick or a TradeTick."""
    message = require_mapping(load_json(text), "frame")
    cmd_id = int_field(message, "cmd_id")
    if "ret" in message:
        return parse_ack(message)
    data = require_mapping(field(message, "data"), "data")
    if cmd_id == CmdId.PUSH_DEPTH:
        return parse_depth(data)
    if cmd_id == CmdId.PUSH_TRADE:
        return parse_trade(data)
    raise ProtocolError(f"unknown cmd_id {cmd_id}")


def parse_ack(message: Mapping[str, Any]) -> Ack:
    """Parse a response envelope (an ack, or the cmd_id 0 answer to a malformed request)."""
    return Ack(
        cmd_id=int_field(message, "cmd_id"),
        seq_id=int_field(message, "seq_id") if "seq_id" in message else 0,
        trace=str(message.get("trace", "")),
        ret=int_field(message, "ret"),
        msg=str(message.get("msg", "")),
    )


def _levels(data: Mapping[str, Any], name: str) -> tuple[PriceLevel, ...]:
    raw = field(data, name)
    if not isinstance(raw, list):
        raise ProtocolError(f"field {name!r} is not a list")
    levels = (require_mapping(item, name) for item in raw)
    return tuple(
        PriceLevel(decimal_field(lv, "price"), decimal_field(lv, "volume")) for lv in levels
    )


def parse_depth(data: Mapping[str, Any]) -> DepthTick:
    """Parse the `data` of a depth push (22999) or a `/depth-tick` item."""
    return DepthTick(
        code=str_field(data, "code"),
        seq=int_field(data, "seq"),
        tick_time=time_field(data, "tick_time"),
        bids=_levels(data, "bids"),
        asks=_levels(data, "asks"),
    )


def parse_trade(data: Mapping[str, Any]) -> TradeTick:
    """Parse the `data` of a trade push (22998) or a `/trade-tick` item."""
    return TradeTick(
        code=str_field(data, "code"),
        seq=int_field(data, "seq"),
        tick_time=time_field(data, "tick_time"),
        price=decimal_field(data, "price"),
        volume=decimal_field(data, "volume"),
        turnover=decimal_field(data, "turnover"),
        trade_direction=int_field(data, "trade_direction"),
    )


_TOKEN_RE = re.compile(r"(?i)(token=)[^&#\s]*")


def mask_token(url: str) -> str:
    """Return `url` with the value of its `token=` parameter masked, for logs."""
    return _TOKEN_RE.sub(r"\1***", url)
