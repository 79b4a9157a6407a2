"""Positions: as booked, valued live, the snapshot, and the requests that close them.

Requests are strict; every amount, price and lots value in a response is a decimal string.
"""

from __future__ import annotations

from marshmallow import fields, validate

from domain.positions import Side
from domain.records import PositionRecord, PositionStatus, ValuedPosition
from schemas.account import AccountSchema
from schemas.common import RecordSchema, StrictSchema
from schemas.fields import Lots, Money, Price, client_order_id_field, lots_field, symbol_field


class PositionSchema(RecordSchema):
    """A netted position as booked."""

    record = PositionRecord

    id = fields.Integer(required=True)
    symbol = fields.String(required=True, metadata={"example": "EURUSD"})
    side = fields.Enum(Side, by_value=True, required=True)
    lots = Lots(required=True)
    max_lots = Lots(required=True, metadata={"description": "The largest size it reached"})
    avg_price = Price(required=True)
    realized_pnl = Money(required=True, metadata={"description": "In the account currency"})
    status = fields.Enum(PositionStatus, by_value=True, required=True)
    opened_at = fields.AwareDateTime(required=True)
    closed_at = fields.AwareDateTime(required=True, allow_none=True)
    close_price = Price(required=True, allow_none=True)
    close_reason = fields.String(required=True, allow_none=True)
    txn_seq = fields.Integer(required=True)


class ValuedPositionSchema(PositionSchema):
    """An open position with its live figures (null when it cannot be valued now)."""

    record = ValuedPosition

    current_price = Price(
        required=True, allow_none=True, metadata={"description": "Bid for a long, ask for a short"}
    )
    unrealized_pnl = Money(required=True, allow_none=True)
    used_margin = Money(required=True, allow_none=True)


class PositionsSnapshotSchema(RecordSchema):
    """The account and its open positions, valued at one set of current prices."""

    account = fields.Nested(AccountSchema, required=True)
    positions = fields.List(fields.Nested(ValuedPositionSchema), required=True)


class ClosePositionSchema(StrictSchema):
    """Close the position: all of it, or `lots` of it."""

    lots = lots_field(load_default=None, metadata={"description": "Omit to close all"})
    client_order_id = client_order_id_field()


class CloseBySymbolSchema(ClosePositionSchema):
    """Close the position named by its symbol in the body."""

    symbol = symbol_field(required=True)


class ExitPositionSchema(StrictSchema):
    """Close the whole open position with this id."""

    position_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    client_order_id = client_order_id_field()
