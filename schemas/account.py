"""The account: its figures, its ledger entries, and the pre-trade margin check.

Every amount is a decimal string in the account currency (see schemas/fields.py).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from domain.positions import Side
from domain.records import AccountStatus, AccountSummary, LedgerKind, LedgerRecord
from schemas.common import RecordSchema, StrictSchema
from schemas.errors import error_code_of
from schemas.fields import Lots, Money, Price, lots_field, side_field, symbol_field


class AccountSchema(RecordSchema):
    """Booked figures and the live valuation; live figures are null when it cannot be valued."""

    record = AccountSummary

    id = fields.Integer(required=True)
    currency = fields.String(required=True, metadata={"example": "USD"})
    balance = Money(required=True)
    equity = Money(required=True, allow_none=True)
    unrealized_pnl = Money(required=True, allow_none=True)
    used_margin = Money(required=True, allow_none=True)
    free_margin = Money(required=True, allow_none=True)
    margin_level = Money(
        required=True,
        allow_none=True,
        metadata={"description": "equity / used margin x 100; null with no margin used"},
    )
    leverage = fields.Integer(required=True)
    status = fields.Enum(AccountStatus, by_value=True, required=True)
    txn_seq = fields.Integer(
        required=True, metadata={"description": "The account's transaction sequence number"}
    )
    valuation_error = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "why the live figures are null, if they are"},
    )


class LedgerEntrySchema(RecordSchema):
    """One change of balance, with the balance after it."""

    record = LedgerRecord

    id = fields.Integer(required=True)
    account_id = fields.Integer(required=True)
    kind = fields.Enum(LedgerKind, by_value=True, required=True)
    amount = Money(required=True, metadata={"description": "Signed: a withdrawal is negative"})
    balance_after = Money(required=True)
    reference = fields.String(required=True, metadata={"example": "fill:123"})
    reason = fields.String(required=True)
    txn_seq = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)


class MarginCheckRequestSchema(StrictSchema):
    """An order to check: nothing is booked."""

    symbol = symbol_field(required=True)
    side = side_field(required=True)
    lots = lots_field(required=True)


def _reason(result: Any) -> str | None:
    return error_code_of(result.refusal)


def _message(result: Any) -> str | None:
    return None if result.refusal is None else str(result.refusal)


class MarginCheckSchema(RecordSchema):
    """What the order would need and leave, at the current server price."""

    symbol = fields.String(required=True)
    side = fields.Enum(Side, by_value=True, required=True)
    lots = Lots(required=True)
    price = Price(required=True, metadata={"description": "The price it would fill at now"})
    currency = fields.String(attribute="check.currency", metadata={"description": "Account's"})
    required_margin = Money(
        attribute="check.required_margin",
        metadata={"description": "Margin of the position after it"},
    )
    used_margin = Money(required=True)
    used_margin_after = Money(attribute="check.used_margin_after")
    free_margin = Money(required=True)
    free_margin_after = Money(attribute="check.free_margin_after")
    allowed = fields.Boolean(required=True)
    reducing = fields.Boolean(
        attribute="check.reducing", metadata={"description": "Reducing orders pass the check"}
    )
    reason = fields.Function(
        _reason,
        allow_none=True,
        metadata={"type": "string", "description": "error_code an order would get, or null"},
    )
    message = fields.Function(_message, allow_none=True, metadata={"type": "string"})
