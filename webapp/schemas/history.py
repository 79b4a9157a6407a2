"""Schemas of the history endpoints: strict query arguments, documented pages.

Query arguments are strict: an unknown parameter, a `limit` outside 1..200, a non-integer, or a
date that is not ISO 8601 is refused with 422. A date without a time zone is read as UTC. Every
amount, price and lots value in a response is a decimal string (see services/present.py).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from models import LedgerKind
from services.history import MAX_PAGE
from webapp.schemas.common import StrictSchema
from webapp.schemas.fields import DecimalString
from webapp.schemas.trading import FillSchema, OrderSchema, PositionSchema, symbol_field

BIGINT = 2**63 - 1


def _moment(name: str) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        data_key=name,
        default_timezone=UTC,
        load_default=None,
        metadata={"description": f"ISO 8601 ({name} <= t < to); no zone means UTC"},
    )


class PageArgs(StrictSchema):
    """Keyset pagination: `limit` rows after the row `before_id` (newest first)."""

    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(1, MAX_PAGE),
        metadata={"description": f"1 to {MAX_PAGE} rows (default 50)"},
    )
    before_id = fields.Integer(
        load_default=None,
        validate=validate.Range(1, BIGINT),
        metadata={"description": "next_before_id of the previous page"},
    )
    start = _moment("from")
    end = _moment("to")

    @validates_schema
    def _window_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and start > end:
            raise ValidationError("must not be after 'to'", field_name="from")


class SymbolPageArgs(PageArgs):
    """A page of rows, optionally of one symbol."""

    symbol = symbol_field(load_default=None)


class LedgerPageArgs(PageArgs):
    """A page of ledger entries, optionally of one kind."""

    kind = fields.String(
        load_default=None, validate=validate.OneOf([kind.value for kind in LedgerKind])
    )


class ChangesArgs(StrictSchema):
    """Changes after transaction `since`, at most `limit` transactions."""

    since = fields.Integer(
        required=True,
        validate=validate.Range(0, BIGINT),
        metadata={"description": "the last txn_seq the client has seen"},
    )
    limit = fields.Integer(
        load_default=500,
        validate=validate.Range(1, 1000),
        metadata={"description": "at most this many transactions (default 500)"},
    )


class LedgerItemSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    amount = DecimalString(metadata={"example": "-12.50"})
    balance_after = DecimalString(metadata={"example": "99987.50"})
    reference = fields.String(metadata={"example": "fill:123"})
    reason = fields.String()
    txn_seq = fields.Integer()
    created_at = fields.String()


def _page(item: type[Schema], name: str) -> type[Schema]:
    """Return the schema of a page of `item`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item)),
            "next_before_id": fields.Integer(
                allow_none=True, metadata={"description": "before_id of the next page, or null"}
            ),
        },
        name=name,
    )


OrderPageSchema = _page(OrderSchema, "OrderPage")
FillPageSchema = _page(FillSchema, "FillPage")
LedgerPageSchema = _page(LedgerItemSchema, "LedgerPage")
PositionPageSchema = _page(PositionSchema, "PositionPage")


class ChangesSchema(Schema):
    """What changed after `since`: pass `last_seq` as the next `since` until `complete`."""

    since = fields.Integer()
    last_seq = fields.Integer(metadata={"description": "highest txn_seq this answer covers"})
    complete = fields.Boolean(metadata={"description": "false: more changes follow last_seq"})
    txn_seq = fields.Integer(metadata={"description": "the account's current txn_seq"})
    orders = fields.List(fields.Nested(OrderSchema))
    fills = fields.List(fields.Nested(FillSchema))
    ledger = fields.List(fields.Nested(LedgerItemSchema))
    positions = fields.List(fields.Nested(PositionSchema), metadata={"description": "open now"})
