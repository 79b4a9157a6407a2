"""Real-time messages: every message the WebSocket sends, and every event published on Redis.

Every message is the envelope `{"type": ..., "ts": <ms since the epoch>, "data": {...}}`.
Account events (published on the accounts channel, forwarded to the account's sockets) carry
`account_id` and `seq`, the account's transaction sequence number: every event of one booked
transaction carries the same `seq`. The type names below are the contract with the frontend.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from domain.risk import MarginState
from schemas.account import AccountSchema, LedgerEntrySchema
from schemas.common import RecordSchema
from schemas.fields import Money, Price, price_text
from schemas.orders import FillSchema, OrderSchema
from schemas.positions import PositionSchema, ValuedPositionSchema

QUOTE = "quote"
SNAPSHOT = "snapshot"
ORDER_FILLED = "order.filled"
POSITION_CHANGED = "position.changed"
ACCOUNT_UPDATED = "account.updated"
ACCOUNT_VALUED = "account.valued"
MARGIN_CALL = "margin.call"
STOP_OUT = "stop_out"
RESYNC = "resync"
ERROR = "error"
PONG = "pong"
SUBSCRIBED = "subscribed"
UNSUBSCRIBED = "unsubscribed"


class EnvelopeSchema(Schema):
    """The one message envelope."""

    type = fields.String(required=True, metadata={"example": ORDER_FILLED})
    ts = fields.Integer(required=True, metadata={"description": "ms since the epoch"})
    data = fields.Dict(required=True)


class QuoteMessageSchema(RecordSchema):
    """A tick: the client quote of a symbol (raw quote widened by the markup)."""

    symbol = fields.String(required=True, metadata={"example": "EURUSD"})
    bid = Price(required=True)
    ask = Price(required=True)
    ts_event = fields.Integer(
        required=True, metadata={"description": "the market's time of the price, ms"}
    )
    seq = fields.Integer(required=True, metadata={"description": "the vendor's sequence"})


class AccountEventSchema(RecordSchema):
    """What every account event carries."""

    account_id = fields.Integer(required=True)
    seq = fields.Integer(required=True, metadata={"description": "the account's txn_seq"})


class SnapshotSchema(RecordSchema):
    """The account valued now, its open positions and its sequence number (sent first)."""

    seq = fields.Integer(required=True)
    account = fields.Nested(AccountSchema, required=True)
    positions = fields.List(fields.Nested(ValuedPositionSchema), required=True)


class OrderFilledSchema(AccountEventSchema):
    order = fields.Nested(OrderSchema, required=True)
    fill = fields.Nested(FillSchema, required=True)
    fills = fields.List(fields.Nested(FillSchema), required=True)


class PositionChangedSchema(AccountEventSchema):
    position = fields.Nested(PositionSchema, required=True)


class AccountUpdatedSchema(AccountEventSchema):
    account = fields.Nested(AccountSchema, required=True)
    ledger_entry = fields.Nested(
        LedgerEntrySchema,
        allow_none=True,
        metadata={"description": "the entry of a deposit, withdrawal or adjustment"},
    )


class AccountValuedSchema(AccountEventSchema):
    """A live valuation (display only), at most a few per second per account."""

    currency = fields.String(required=True)
    balance = Money(required=True)
    equity = Money(required=True)
    unrealized_pnl = Money(required=True)
    used_margin = Money(required=True)
    free_margin = Money(required=True)
    margin_level = Money(required=True, allow_none=True)
    margin_state = fields.Enum(MarginState, by_value=True, required=True)


class MarginCallSchema(AccountValuedSchema):
    """The account fell to the margin-call level (once per crossing)."""

    margin_call_level = Money(required=True)
    stop_out_level = Money(required=True)


class StopOutSchema(AccountEventSchema):
    """A position (or part of it) closed by stop out, and the margin level after it."""

    position = fields.Nested(PositionSchema, required=True)
    fill = fields.Nested(FillSchema, required=True)
    margin_level = Money(required=True, allow_none=True)


class ResyncSchema(RecordSchema):
    reason = fields.String(required=True)


class ErrorMessageSchema(RecordSchema):
    error_code = fields.String(required=True, metadata={"example": "UNKNOWN_SYMBOL"})
    message = fields.String(required=True)


class EmptySchema(RecordSchema):
    """No data (`pong`)."""


class SymbolsSchema(RecordSchema):
    symbols = fields.List(fields.String(), required=True)


def quote_data(tick: Any) -> dict[str, Any]:
    """Return what QuoteMessageSchema dumps of a tick, written directly.

    Ticks are the hottest message (thousands a second through one feed): this is the schema's
    dump without marshmallow's per-field machinery. tests/unit/schemas/test_events.py proves
    it equal to `QuoteMessageSchema().dump` for any tick, so the schema stays the declaration.
    """
    return {
        "symbol": tick.symbol,
        "bid": price_text(tick.symbol, tick.bid),
        "ask": price_text(tick.symbol, tick.ask),
        "ts_event": tick.ts_event,
        "seq": tick.seq,
    }


MESSAGE_SCHEMAS: dict[str, Schema] = {
    QUOTE: QuoteMessageSchema(),
    SNAPSHOT: SnapshotSchema(),
    ORDER_FILLED: OrderFilledSchema(),
    POSITION_CHANGED: PositionChangedSchema(),
    ACCOUNT_UPDATED: AccountUpdatedSchema(),
    ACCOUNT_VALUED: AccountValuedSchema(),
    MARGIN_CALL: MarginCallSchema(),
    STOP_OUT: StopOutSchema(),
    RESYNC: ResyncSchema(),
    ERROR: ErrorMessageSchema(),
    PONG: EmptySchema(),
    SUBSCRIBED: SymbolsSchema(),
    UNSUBSCRIBED: SymbolsSchema(),
}


def message_body(message_type: str, data: Any, ts_ms: int) -> dict[str, Any]:
    """Return the envelope of a message, its data dumped through the type's schema.

    The envelope is EnvelopeSchema's three fields, written directly (its dump would copy them
    unchanged: tests/unit/schemas/test_events.py checks that it does).
    """
    dumped = quote_data(data) if message_type == QUOTE else MESSAGE_SCHEMAS[message_type].dump(data)
    return {"type": message_type, "ts": ts_ms, "data": dumped}
