"""The symbol catalogue with each symbol's current client quote and whether it can be traded.

Access: a valid access token is required, like the rest of the trading API (the quotes are the
broker's client prices, marked up, and are shown only to its clients).

A symbol's `quote` is its latest client quote (bid/ask with the markup) or null when there is
none. `tradeable` and `reason` follow domain.pricing.untradeable_reason at the time of the
request: `reason` is MARKET_CLOSED (only when ENFORCE_MARKET_HOURS is on), PRICE_STALE (no quote,
or one older than the symbol's staleness_seconds) or null. A stale quote is still shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from marshmallow import Schema, fields

from domain.instruments import INSTRUMENTS, Instrument
from domain.pricing import untradeable_reason
from services.present import lots, price, when
from services.quotes import QuoteStore, RawQuote, client_quote
from webapp.api.base import Blueprint
from webapp.context import now, quote_store
from webapp.errors import DOMAIN_ERRORS, ApiError
from webapp.schemas.common import ApiErrorSchema
from webapp.schemas.fields import DecimalString

blp = Blueprint("symbols", __name__, url_prefix="/api/symbols", description="Symbols and quotes")
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


class QuoteSchema(Schema):
    bid = DecimalString()
    ask = DecimalString()
    ts_event = fields.String(metadata={"description": "the market's time of the price"})


class SymbolSchema(Schema):
    symbol = fields.String(metadata={"example": "EURUSD"})
    vendor_code = fields.String()
    asset_class = fields.String(metadata={"example": "fx"})
    base_currency = fields.String()
    quote_currency = fields.String()
    digits = fields.Integer()
    pip_size = DecimalString(metadata={"example": "0.0001"})
    contract_size = DecimalString(metadata={"example": "100000"})
    min_lots = DecimalString(metadata={"example": "0.01"})
    max_lots = DecimalString(metadata={"example": "50.00"})
    lot_step = DecimalString(metadata={"example": "0.01"})
    max_leverage = fields.Integer()
    markup_points = fields.Integer()
    staleness_seconds = fields.Integer()
    quote = fields.Nested(QuoteSchema, allow_none=True)
    tradeable = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"example": "PRICE_STALE"})


class SymbolListSchema(Schema):
    items = fields.List(fields.Nested(SymbolSchema))


def _spec(instrument: Instrument) -> dict[str, Any]:
    """Return the contract terms of an instrument as the API shows them."""
    return {
        "symbol": instrument.symbol,
        "vendor_code": instrument.vendor_code,
        "asset_class": instrument.asset_class.value,
        "base_currency": instrument.base_currency,
        "quote_currency": instrument.quote_currency,
        "digits": instrument.digits,
        "pip_size": str(instrument.pip_size),
        "contract_size": str(instrument.contract_size),
        "min_lots": lots(instrument.min_lots),
        "max_lots": lots(instrument.max_lots),
        "lot_step": lots(instrument.lot_step),
        "max_leverage": instrument.max_leverage,
        "markup_points": instrument.markup_points,
        "staleness_seconds": instrument.staleness_seconds,
    }


def symbol_body(instrument: Instrument, raw: RawQuote | None, at: datetime) -> dict[str, Any]:
    """Return an instrument with its client quote and tradeability at `at`."""
    enforce = current_app.config["ENFORCE_MARKET_HOURS"]
    problem = untradeable_reason(instrument, raw.ts_event if raw else None, at, enforce)
    quote = None
    if raw is not None:
        client = client_quote(instrument, raw)
        quote = {
            "bid": price(instrument.symbol, client.bid),
            "ask": price(instrument.symbol, client.ask),
            "ts_event": when(client.ts_event),
        }
    return {
        **_spec(instrument),
        "quote": quote,
        "tradeable": problem is None,
        "reason": None if problem is None else DOMAIN_ERRORS[type(problem)][1],
    }


def _bodies(store: QuoteStore, instruments: list[Instrument]) -> list[dict[str, Any]]:
    """Return the bodies of the instruments, reading their quotes in one round trip."""
    raws = store.get_many(i.symbol for i in instruments)
    at = now()
    return [symbol_body(i, raws.get(i.symbol), at) for i in instruments]


@blp.route("")
class Symbols(MethodView):
    @jwt_required()
    @blp.response(200, SymbolListSchema)
    @blp.doc(security=SECURITY)
    def get(self) -> dict[str, Any]:
        """List every symbol with its terms, current quote and tradeability."""
        return {"items": _bodies(quote_store(), list(INSTRUMENTS.values()))}


@blp.route("/<string:symbol>")
class SymbolBySymbol(MethodView):
    @jwt_required()
    @blp.response(200, SymbolSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="Unknown symbol")
    @blp.doc(security=SECURITY)
    def get(self, symbol: str) -> dict[str, Any]:
        """Return one symbol with its terms, current quote and tradeability."""
        instrument = INSTRUMENTS.get(symbol)
        if instrument is None:
            raise ApiError(404, "UNKNOWN_SYMBOL", f"unknown symbol {symbol!r}")
        return _bodies(quote_store(), [instrument])[0]
