"""Schemas of orders, fills, positions and the account: requests strict, responses documented.

Every amount, price and lots value in a response is a decimal string (see services/present.py).
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from webapp.schemas.common import StrictSchema
from webapp.schemas.fields import DecimalString, StrictDecimal

SYMBOL = validate.Regexp(r"^[A-Z0-9]{3,16}$", error="a symbol such as EURUSD")
SIDE = validate.OneOf(["BUY", "SELL"])


def symbol_field(**kwargs: object) -> fields.String:
    """Return the symbol field."""
    return fields.String(validate=SYMBOL, metadata={"example": "EURUSD"}, **kwargs)  # type: ignore[arg-type]


def lots_field(**kwargs: object) -> StrictDecimal:
    """Return the lots field: a JSON number, > 0, at most 2 places."""
    metadata = {"example": 0.1, **kwargs.pop("metadata", {})}  # type: ignore[dict-item]
    return StrictDecimal(places=2, maximum=Decimal(1000), metadata=metadata, **kwargs)  # type: ignore[arg-type]


class MarketOrderFieldsSchema(StrictSchema):
    """What every market order names: symbol, side, lots and an optional idempotency key."""

    symbol = symbol_field(required=True)
    side = fields.String(required=True, validate=SIDE)
    lots = lots_field(required=True)
    client_order_id = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$", error="1 to 64 of A-Za-z0-9_.:-"),
        metadata={"description": "Unique per account; a retry returns the original result"},
    )


class OrderRequestSchema(MarketOrderFieldsSchema):
    """A market order. The server chooses the price; `price_bound` is the worst you accept."""

    price_bound = StrictDecimal(
        places=10,
        maximum=Decimal(10) ** 9,
        load_default=None,
        metadata={"description": "BUY: highest acceptable price; SELL: lowest"},
    )


class OrderSchema(Schema):
    id = fields.Integer()
    client_order_id = fields.String(allow_none=True)
    symbol = fields.String()
    side = fields.String()
    lots = DecimalString()
    price_bound = DecimalString(allow_none=True)
    reason = fields.String()
    status = fields.String()
    txn_seq = fields.Integer()
    created_at = fields.String()


class FillSchema(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    position_id = fields.Integer()
    symbol = fields.String()
    side = fields.String()
    lots = DecimalString()
    price = DecimalString()
    realized_pnl = DecimalString()
    txn_seq = fields.Integer()
    created_at = fields.String()


class PositionSchema(Schema):
    id = fields.Integer()
    symbol = fields.String()
    side = fields.String()
    lots = DecimalString()
    max_lots = DecimalString()
    avg_price = DecimalString()
    realized_pnl = DecimalString()
    status = fields.String()
    opened_at = fields.String()
    closed_at = fields.String(allow_none=True)
    close_price = DecimalString(allow_none=True)
    close_reason = fields.String(allow_none=True)
    txn_seq = fields.Integer()
    # Live valuation, present on open positions listed with current quotes.
    current_price = DecimalString(allow_none=True)
    unrealized_pnl = DecimalString(allow_none=True)
    used_margin = DecimalString(allow_none=True)


class AccountSchema(Schema):
    id = fields.Integer()
    currency = fields.String()
    balance = DecimalString()
    # The live figures are null when a position has no quote (see valuation_error).
    equity = DecimalString(allow_none=True)
    unrealized_pnl = DecimalString(allow_none=True)
    used_margin = DecimalString(allow_none=True)
    free_margin = DecimalString(allow_none=True)
    margin_level = DecimalString(allow_none=True)
    leverage = fields.Integer()
    status = fields.String()
    txn_seq = fields.Integer()
    valuation_error = fields.String(
        allow_none=True, metadata={"description": "why the live figures are null, if they are"}
    )


class OrderResultSchema(Schema):
    """A booked order: the order, its fill, the position and the account after it."""

    order = fields.Nested(OrderSchema)
    fill = fields.Nested(FillSchema)
    position = fields.Nested(PositionSchema)
    account = fields.Nested(AccountSchema)
