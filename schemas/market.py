"""Quotes and candles: strict query strings in, decimal strings out.

A symbol that is well formed but not in the catalogue is not a schema error: the view answers it
with 422 UNKNOWN_SYMBOL naming the symbol, so clients can tell a typo from a bad request.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from domain.candles import INTERVALS, MAX_BARS
from schemas.common import RecordSchema, StrictSchema
from schemas.errors import error_code_of
from schemas.fields import DecimalString, Price

MAX_SYMBOLS = 50
SYMBOL_LENGTH = validate.Length(min=1, max=32)


class SymbolList(fields.Field):
    """A comma-separated list of symbols, read as a list without blanks or repeats."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if not isinstance(value, str):
            raise ValidationError("a comma-separated list of symbols such as EURUSD,XAUUSD")
        items = [item.strip() for item in value.split(",")]
        if any(not item or len(item) > 32 for item in items):
            raise ValidationError("a comma-separated list of symbols such as EURUSD,XAUUSD")
        unique = list(dict.fromkeys(items))
        if len(unique) > MAX_SYMBOLS:
            raise ValidationError(f"at most {MAX_SYMBOLS} symbols")
        return unique


class QuotesQuerySchema(StrictSchema):
    """Which quotes to return; without `symbols`, every catalogue symbol."""

    symbols = SymbolList(
        load_default=None,
        metadata={"type": "string", "example": "EURUSD,XAUUSD", "description": "comma-separated"},
    )


def tradeable(status: Any) -> bool:
    """Return whether the symbol can be traded now (no reason to refuse it)."""
    return status.problem is None


def refusal_code(status: Any) -> str | None:
    """Return the error_code an order on the symbol would get now, or None."""
    return error_code_of(status.problem)


class MarketQuoteSchema(RecordSchema):
    """A symbol's current client quote (null prices when there is none) and tradeability."""

    symbol = fields.String(required=True, metadata={"example": "EURUSD"})
    bid = Price(required=True, allow_none=True)
    ask = Price(required=True, allow_none=True, metadata={"example": "1.10015"})
    ts_event = fields.AwareDateTime(
        required=True, allow_none=True, metadata={"description": "the market's time of the price"}
    )
    tradeable = fields.Function(tradeable, metadata={"type": "boolean"})
    reason = fields.Function(
        refusal_code, allow_none=True, metadata={"type": "string", "example": "PRICE_STALE"}
    )


class MarketQuoteListSchema(RecordSchema):
    items = fields.List(fields.Nested(MarketQuoteSchema), required=True)


class CandlesQuerySchema(StrictSchema):
    """Which candles: a symbol, an interval and how many of the latest bars."""

    symbol = fields.String(required=True, validate=SYMBOL_LENGTH, metadata={"example": "EURUSD"})
    interval = fields.String(required=True, validate=validate.OneOf(INTERVALS))
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=MAX_BARS),
        metadata={"description": f"how many of the latest bars, 1 to {MAX_BARS}"},
    )


class CandleSchema(RecordSchema):
    """One bar; `timestamp` is its open time."""

    timestamp = fields.AwareDateTime(required=True)
    open = Price(required=True)
    high = Price(required=True)
    low = Price(required=True)
    close = Price(required=True)
    volume = DecimalString(required=True, metadata={"example": "12.5"})


class CandleListSchema(RecordSchema):
    symbol = fields.String(required=True, metadata={"example": "EURUSD"})
    interval = fields.String(required=True, metadata={"example": "1m"})
    items = fields.List(
        fields.Nested(CandleSchema), required=True, metadata={"description": "oldest first"}
    )
