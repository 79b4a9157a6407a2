"""Validate WebSocket requests as the vendor describes them (all four envelope fields).

The frames: docs/alltick-protocol.md, 2.1 Frames.

Policy: `cmd_id` and `seq_id` are integers (not bools), `trace` a string of at most 64 characters,
`data` an object; anything else is "request header param invalid". A `symbol_list` must be a list of
objects with a string `code` and an optional positive integer `depth_level` (default 1); anything
else is "request data param invalid".
"""

from __future__ import annotations

import json
from typing import Any

from marketdata.simulator.wire import MSG_DATA_INVALID, MSG_HEADER_INVALID

MAX_TRACE = 64


class RequestInvalid(Exception):
    """A request the server cannot read; `msg` is what the answer says."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_envelope(text: str) -> tuple[int, int, str, dict[str, Any]]:
    """Return (cmd_id, seq_id, trace, data) of a request or raise RequestInvalid."""
    try:
        message = json.loads(text)
    except ValueError as exc:
        raise RequestInvalid(MSG_HEADER_INVALID) from exc
    if not isinstance(message, dict):
        raise RequestInvalid(MSG_HEADER_INVALID)
    cmd_id, seq_id = message.get("cmd_id"), message.get("seq_id")
    trace, data = message.get("trace"), message.get("data")
    if not (_is_int(cmd_id) and _is_int(seq_id) and isinstance(trace, str)):
        raise RequestInvalid(MSG_HEADER_INVALID)
    if len(trace) > MAX_TRACE or not isinstance(data, dict):
        raise RequestInvalid(MSG_HEADER_INVALID)
    return int(cmd_id), int(seq_id), trace, data  # type: ignore[arg-type]


def parse_symbols(data: dict[str, Any]) -> list[tuple[str, int]]:
    """Return the (code, depth_level) pairs of a subscribe request or raise RequestInvalid."""
    symbols = data.get("symbol_list")
    if not isinstance(symbols, list):
        raise RequestInvalid(MSG_DATA_INVALID)
    result: list[tuple[str, int]] = []
    for item in symbols:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise RequestInvalid(MSG_DATA_INVALID)
        level = item.get("depth_level", 1)
        if not _is_int(level) or level < 1:
            raise RequestInvalid(MSG_DATA_INVALID)
        result.append((item["code"], level))
    return result
