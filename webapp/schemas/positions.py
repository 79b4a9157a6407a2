"""Schemas of positions, the margin check, admin balance adjustments and the seed's aliases.

Requests are strict (unknown fields refused; numbers are JSON numbers read as exact Decimals);
every amount, price and lots value in a response is a decimal string (see services/present.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from webapp.schemas.common import StrictSchema
from webapp.schemas.fields import DecimalString, StrictDecimal
from webapp.schemas.trading import (
    SIDE,
    AccountSchema,
    MarketOrderFieldsSchema,
    PositionSchema,
    lots_field,
    symbol_field,
)

MAX_AMOUNT = Decimal(10) ** 12
KINDS = ("deposit", "withdrawal", "adjustment")


class ClosePositionSchema(StrictSchema):
    """Close the position: all of it, or `lots` of it."""

    lots = lots_field(load_default=None, metadata={"description": "Omit to close it all"})


class CloseBySymbolSchema(ClosePositionSchema):
    """The seed's close: the symbol in the body."""

    symbol = symbol_field(required=True)


class ExitPositionSchema(StrictSchema):
    """The seed's exit: close the whole position with this id."""

    position_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class PositionsSnapshotSchema(Schema):
    """The account and its open positions, valued at one set of current prices."""

    account = fields.Nested(AccountSchema)
    positions = fields.List(fields.Nested(PositionSchema))


class MarginCheckRequestSchema(StrictSchema):
    """An order to check: nothing is booked."""

    symbol = symbol_field(required=True)
    side = fields.String(required=True, validate=SIDE)
    lots = lots_field(required=True)


class MarginCheckSchema(Schema):
    """What the order would need and leave, at the current server price."""

    symbol = fields.String()
    side = fields.String()
    lots = DecimalString()
    price = DecimalString(metadata={"description": "The price it would fill at now"})
    currency = fields.String(metadata={"description": "The account currency"})
    required_margin = DecimalString(metadata={"description": "Margin of the position after it"})
    used_margin = DecimalString()
    used_margin_after = DecimalString()
    free_margin = DecimalString()
    free_margin_after = DecimalString()
    allowed = fields.Boolean()
    reducing = fields.Boolean(metadata={"description": "Reducing orders pass the margin check"})
    reason = fields.String(
        allow_none=True, metadata={"description": "error_code an order would get, or null"}
    )
    message = fields.String(allow_none=True)


class AdjustmentRequestSchema(StrictSchema):
    """A hand-booked change of balance. Deposits and withdrawals are positive amounts."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    amount = StrictDecimal(
        places=2,
        minimum=-MAX_AMOUNT,
        maximum=MAX_AMOUNT,
        exclusive_minimum=False,
        required=True,
        metadata={"description": "> 0 for deposit/withdrawal; signed, non-zero, for adjustment"},
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=255))

    @validates_schema
    def _check(self, data: dict[str, Any], **_kwargs: Any) -> None:
        amount = data.get("amount")
        if amount is not None and amount == 0:
            raise ValidationError("must not be zero", "amount")
        if amount is not None and amount < 0 and data.get("kind") != "adjustment":
            raise ValidationError("must be positive: the kind says the direction", "amount")
        if not data.get("reason", "x").strip():
            raise ValidationError("must not be blank", "reason")


class AdjustmentEntrySchema(Schema):
    id = fields.Integer()
    account_id = fields.Integer()
    kind = fields.String()
    amount = DecimalString(metadata={"description": "Signed: a withdrawal is negative"})
    balance_after = DecimalString()
    reference = fields.String()
    reason = fields.String()
    txn_seq = fields.Integer()
    created_at = fields.String()


class AdjustmentResultSchema(Schema):
    """The booked ledger entry and the account after it."""

    entry = fields.Nested(AdjustmentEntrySchema)
    account = fields.Nested(AccountSchema)


class AccountListQuerySchema(StrictSchema):
    """Newest accounts first; pass the last id seen as `before_id` for the next page."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    before_id = fields.Integer(load_default=None, validate=validate.Range(min=1))


class AdminAccountSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    username = fields.String()
    currency = fields.String()
    balance = DecimalString()
    leverage = fields.Integer()
    status = fields.String()
    txn_seq = fields.Integer()


class AdminAccountPageSchema(Schema):
    accounts = fields.List(fields.Nested(AdminAccountSchema))
    next_before_id = fields.Integer(
        allow_none=True, metadata={"description": "before_id of the next page; null at the end"}
    )


class SimFillRequestSchema(MarketOrderFieldsSchema):
    """The seed's fill: a market order at the server's price. No price may be sent."""

    @pre_load
    def _refuse_prices(self, data: Any, **_kwargs: Any) -> Any:
        """Refuse any client-supplied price with a message saying why."""
        if isinstance(data, dict):
            prices = [key for key in data if isinstance(key, str) and "price" in key.lower()]
            if prices:
                message = "not accepted: fills happen at the server's bid/ask, never a client price"
                raise ValidationError({key: [message] for key in prices})
        return data
