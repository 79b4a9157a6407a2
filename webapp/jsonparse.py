"""Strict JSON for request bodies and Decimal-safe JSON for responses.

Python's json module accepts NaN, Infinity and -Infinity, silently keeps the last of duplicate
keys, and turns every fraction into a float. Request bodies here are parsed so that:
- fractions become Decimal (never float), so `0.1` stays exactly 0.1;
- NaN / Infinity / -Infinity are refused;
- an object with the same key twice is refused.
Responses are written by orjson, the one JSON writer of the web process and the publishers:
their bodies come from schemas that already turned every Decimal into a decimal string, and any
Decimal left is written as a string too. orjson does not parse requests: it reads fractions as
binary floats, so a body would lose exactness before any check could see it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider


class StrictJSONError(json.JSONDecodeError):
    """A body that is JSON to Python's parser but not to ours."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "<request body>", 0)
        self.reason = message

    def __str__(self) -> str:
        return self.reason


def _refuse_constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not a valid JSON number")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise StrictJSONError(f"duplicate key {key!r}")
        result[key] = value
    return result


def strict_loads(data: str | bytes) -> Any:
    """Parse a request body: fractions as Decimal; NaN, Infinity and duplicate keys refused."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StrictJSONError("body is not UTF-8") from exc
    try:
        return json.loads(
            data,
            parse_float=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicate_keys,
        )
    except RecursionError as exc:
        raise StrictJSONError("body is nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        if isinstance(exc, json.JSONDecodeError):
            raise
        raise StrictJSONError(str(exc)) from exc


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider: strict parsing, orjson writing (see the module docstring)."""

    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse strictly (see the module docstring)."""
        return strict_loads(s)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Write JSON with orjson (Decimal as a string)."""
        return orjson.dumps(obj, default=_default).decode()
