"""Orders and fills: the order request, and the order, its fills and the result of booking it.

Requests are strict (unknown fields refused; numbers are JSON numbers read as exact Decimals).
Every amount, price and lots value in a response is a decimal string (see schemas/fields.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, pre_load

from domain.positions import Side
from domain.records import FillRecord, OrderReason, OrderRecord, OrderStatus
from schemas.account import AccountSchema
from schemas.common import RecordSchema, StrictSchema
from schemas.fields import (
    Lots,
    Money,
    Price,
    Rate,
    StrictDecimal,
    client_order_id_field,
    lots_field,
    side_field,
    symbol_field,
)
from schemas.positions import PositionSchema


class MarketOrderFieldsSchema(StrictSchema):
    """What every market order names: symbol, side, lots and an optional idempotency key."""

    symbol = symbol_field(required=True)
    side = side_field(required=True)
    lots = lots_field(required=True)
    client_order_id = client_order_id_field()


class OrderRequestSchema(MarketOrderFieldsSchema):
    """A market order. The server chooses the price; `price_bound` is the worst you accept."""

    price_bound = StrictDecimal(
        places=10,
        maximum=Decimal(10) ** 9,
        load_default=None,
        metadata={"description": "BUY: highest acceptable price; SELL: lowest"},
    )


class OrderSchema(RecordSchema):
    """An order as booked."""

    record = OrderRecord

    id = fields.Integer(required=True)
    client_order_id = fields.String(required=True, allow_none=True)
    symbol = fields.String(required=True, metadata={"example": "EURUSD"})
    side = fields.Enum(Side, by_value=True, required=True)
    lots = Lots(required=True)
    price_bound = Price(required=True, allow_none=True)
    reason = fields.Enum(OrderReason, by_value=True, required=True)
    status = fields.Enum(OrderStatus, by_value=True, required=True)
    txn_seq = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)


class FillSchema(RecordSchema):
    """One execution of an order at the server's price."""

    record = FillRecord

    id = fields.Integer(required=True)
    order_id = fields.Integer(required=True)
    position_id = fields.Integer(required=True)
    symbol = fields.String(required=True, metadata={"example": "EURUSD"})
    side = fields.Enum(Side, by_value=True, required=True)
    lots = Lots(required=True)
    price = Price(required=True)
    realized_pnl = Money(required=True, metadata={"description": "In the account currency"})
    txn_seq = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    quote_bid = Price(
        load_default=None,
        allow_none=True,
        metadata={"description": "The client bid when the fill was priced (audit)"},
    )
    quote_ask = Price(
        load_default=None,
        allow_none=True,
        metadata={"description": "The client ask when the fill was priced (audit)"},
    )
    quote_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "The market's time of that quote"},
    )
    conversion_rate = Rate(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Quote currency -> account currency rate of the fill's PnL",
            "example": "1",
        },
    )


class OrderResultSchema(RecordSchema):
    """A booked order: the order, its fills, the position it leaves and the account after it.

    `fills` has one fill, or two when the order crossed zero (the first closes the old position,
    the second opens the new one); `fill` is the last of them.
    """

    order = fields.Nested(OrderSchema, required=True)
    fill = fields.Nested(FillSchema, required=True)
    fills = fields.List(fields.Nested(FillSchema), required=True)
    position = fields.Nested(PositionSchema, required=True)
    account = fields.Nested(AccountSchema, required=True)


class SimFillRequestSchema(MarketOrderFieldsSchema):
    """The older frontend's fill: a market order at the server's price. No price may be sent."""

    @pre_load
    def _refuse_prices(self, data: Any, **_kwargs: Any) -> Any:
        """Refuse any client-supplied price with a message saying why."""
        if isinstance(data, dict):
            prices = [key for key in data if isinstance(key, str) and "price" in key.lower()]
            if prices:
                message = "not accepted: fills happen at the server's bid/ask, never a client price"
                raise ValidationError({key: [message] for key in prices})
        return data
