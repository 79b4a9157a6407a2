"""History: strict query arguments, keyset pages of records, and the changes for a resync.

Query arguments are strict: an unknown parameter, a `limit` outside 1..200, a non-integer, or a
date that is not ISO 8601 is refused with 422. A date without a time zone is read as UTC.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from domain.records import LedgerKind
from schemas.account import LedgerEntrySchema
from schemas.common import RecordSchema, StrictSchema, page_of
from schemas.fields import symbol_field
from schemas.orders import FillSchema, OrderSchema
from schemas.positions import PositionSchema

BIGINT = 2**63 - 1
MAX_PAGE = 200
MAX_CHANGES = 1000


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

    kind = fields.Enum(LedgerKind, by_value=True, load_default=None)


class ChangesArgs(StrictSchema):
    """Changes after transaction `since`, at most `limit` transactions."""

    since = fields.Integer(
        required=True,
        validate=validate.Range(0, BIGINT),
        metadata={"description": "the last txn_seq the client has seen"},
    )
    limit = fields.Integer(
        load_default=500,
        validate=validate.Range(1, MAX_CHANGES),
        metadata={"description": f"at most this many transactions (1 to {MAX_CHANGES}; 500)"},
    )


OrderPageSchema = page_of(OrderSchema, "OrderPage")
FillPageSchema = page_of(FillSchema, "FillPage")
LedgerPageSchema = page_of(LedgerEntrySchema, "LedgerPage")
PositionPageSchema = page_of(PositionSchema, "PositionPage")


class ChangesSchema(RecordSchema):
    """What changed after `since`: pass `last_seq` as the next `since` until `complete`."""

    since = fields.Integer(required=True)
    last_seq = fields.Integer(
        required=True, metadata={"description": "highest txn_seq this answer covers"}
    )
    complete = fields.Boolean(
        required=True, metadata={"description": "false: more changes follow last_seq"}
    )
    txn_seq = fields.Integer(
        required=True, metadata={"description": "the account's current txn_seq"}
    )
    orders = fields.List(fields.Nested(OrderSchema), required=True)
    fills = fields.List(fields.Nested(FillSchema), required=True)
    ledger = fields.List(fields.Nested(LedgerEntrySchema), required=True)
    positions = fields.List(
        fields.Nested(PositionSchema), required=True, metadata={"description": "open now"}
    )
