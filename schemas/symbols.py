"""The symbol catalogue: each symbol's contract terms, current client quote and tradeability."""

from __future__ import annotations

from marshmallow import fields

from domain.instruments import AssetClass
from schemas.common import RecordSchema
from schemas.fields import DecimalString, Lots, Price
from schemas.market import refusal_code, tradeable


class SymbolQuoteSchema(RecordSchema):
    """A client quote: the raw vendor quote widened by the markup."""

    bid = Price(required=True)
    ask = Price(required=True)
    ts_event = fields.AwareDateTime(
        required=True, metadata={"description": "the market's time of the price"}
    )


class SymbolSchema(RecordSchema):
    """A symbol's terms, its current quote (null without one) and whether it can be traded."""

    symbol = fields.String(attribute="instrument.symbol", metadata={"example": "EURUSD"})
    vendor_code = fields.String(attribute="instrument.vendor_code")
    asset_class = fields.Enum(AssetClass, by_value=True, attribute="instrument.asset_class")
    base_currency = fields.String(attribute="instrument.base_currency")
    quote_currency = fields.String(attribute="instrument.quote_currency")
    digits = fields.Integer(attribute="instrument.digits")
    pip_size = DecimalString(attribute="instrument.pip_size", metadata={"example": "0.0001"})
    contract_size = DecimalString(
        attribute="instrument.contract_size", metadata={"example": "100000"}
    )
    min_lots = Lots(attribute="instrument.min_lots", metadata={"example": "0.01"})
    max_lots = Lots(attribute="instrument.max_lots", metadata={"example": "50.00"})
    lot_step = Lots(attribute="instrument.lot_step", metadata={"example": "0.01"})
    max_leverage = fields.Integer(attribute="instrument.max_leverage")
    markup_points = fields.Integer(attribute="instrument.markup_points")
    staleness_seconds = fields.Integer(attribute="instrument.staleness_seconds")
    quote = fields.Nested(SymbolQuoteSchema, required=True, allow_none=True)
    tradeable = fields.Function(tradeable, metadata={"type": "boolean"})
    reason = fields.Function(
        refusal_code, allow_none=True, metadata={"type": "string", "example": "PRICE_STALE"}
    )


class SymbolListSchema(RecordSchema):
    items = fields.List(fields.Nested(SymbolSchema), required=True)
