"""Administration: hand-booked balance changes and the list of accounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import ValidationError, fields, validate, validates_schema

from domain.records import AccountStatus
from schemas.account import AccountSchema, LedgerEntrySchema
from schemas.common import RecordSchema, StrictSchema
from schemas.fields import IDEMPOTENCY_KEY, Money, StrictDecimal

MAX_AMOUNT = Decimal(10) ** 12
KINDS = ("deposit", "withdrawal", "adjustment")


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


class AdjustmentResultSchema(RecordSchema):
    """The booked ledger entry and the account after it."""

    entry = fields.Nested(LedgerEntrySchema, required=True)
    account = fields.Nested(AccountSchema, required=True)


class IdempotencyHeaderSchema(ma.Schema):
    """`Idempotency-Key`: a retry with the same key and body returns the first result (201,
    with `Idempotent-Replayed: true`) and books nothing; the same key with another body is 409
    IDEMPOTENCY_KEY_REUSED. Keys are scoped to the admin who sends them."""

    class Meta:
        unknown = ma.EXCLUDE  # every other header

    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        load_default=None,
        validate=validate.Regexp(IDEMPOTENCY_KEY, error="1 to 128 visible ASCII characters"),
        metadata={"description": "1 to 128 visible ASCII characters, unique per operation"},
    )


class AccountListQuerySchema(StrictSchema):
    """Newest first; pass the page's `next_before_id` as `before_id` for the next page."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    before_id = fields.Integer(load_default=None, validate=validate.Range(min=1))


class AdminAccountSchema(RecordSchema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    username = fields.String(required=True)
    currency = fields.String(required=True)
    balance = Money(required=True)
    leverage = fields.Integer(required=True)
    status = fields.Enum(AccountStatus, by_value=True, required=True)
    txn_seq = fields.Integer(required=True)


class AdminAccountPageSchema(RecordSchema):
    accounts = fields.List(fields.Nested(AdminAccountSchema), attribute="items", required=True)
    next_before_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "before_id of the next page; null at the end"},
    )
