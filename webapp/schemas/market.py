"""Schemas of quotes and candles: strict query strings in, decimal strings out.

A symbol that is well formed but not in the catalogue is not a schema error: the view answers it
with 422 UNKNOWN_SYMBOL naming the symbol, so clients can tell a typo from a bad request.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from services.candles import FETCH_BARS, INTERVALS
from webapp.schemas.common import StrictSchema
from webapp.schemas.fields import DecimalString

MAX_SYMBOLS = 50
SYMBOL_LENGTH = validate.Length(min=1, max=32)


class SymbolList(fields.Field[list[str]]):
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


class MarketQuoteSchema(Schema):
    """A symbol's current client quote (null prices when there is none) and tradeability."""

    symbol = fields.String(metadata={"example": "EURUSD"})
    bid = DecimalString(allow_none=True)
    ask = DecimalString(allow_none=True, metadata={"example": "1.10015"})
    ts_event = fields.String(
        allow_none=True, metadata={"description": "the market's time of the price (ISO 8601 UTC)"}
    )
    tradeable = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"example": "PRICE_STALE"})


class MarketQuoteListSchema(Schema):
    items = fields.List(fields.Nested(MarketQuoteSchema))


class CandlesQuerySchema(StrictSchema):
    """Which candles: a symbol, an interval and how many of the latest bars."""

    symbol = fields.String(required=True, validate=SYMBOL_LENGTH, metadata={"example": "EURUSD"})
    interval = fields.String(required=True, validate=validate.OneOf(INTERVALS))
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=FETCH_BARS),
        metadata={"description": f"how many of the latest bars, 1 to {FETCH_BARS}"},
    )


class CandleSchema(Schema):
    """One bar; `timestamp` is its open time."""

    timestamp = fields.String(metadata={"example": "2026-06-01T12:00:00+00:00"})
    open = DecimalString()
    high = DecimalString()
    low = DecimalString()
    close = DecimalString()
    volume = DecimalString(metadata={"example": "12.5"})


class CandleListSchema(Schema):
    symbol = fields.String(metadata={"example": "EURUSD"})
    interval = fields.String(metadata={"example": "1m"})
    items = fields.List(fields.Nested(CandleSchema), metadata={"description": "oldest first"})
