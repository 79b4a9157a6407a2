"""An account's book in PostgreSQL: one statement reads it, one statement writes a booking.

Reading (``read_book``) returns, in one round trip: the account row, its open positions, the
order already booked under the request's `client_order_id` (if any), the database's clock
(`clock_timestamp()`, the booking time) and, when asked, ids for the rows a booking creates:
one order id, one fill id and, when the booking may open a position and the account holds none
in the symbol, one position id (a flip needs one more of each: ``IdPool`` fetches them then).

Writing (``write_booking``) is ONE statement, a data-modifying CTE, and commits on its own
(autocommit): it updates the account only if its `txn_seq`, `status` and `leverage` are still
the ones read, and every other row is written only through that update. So when another
transaction booked on the account in between, nothing is written and the caller reads again
(optimistic concurrency: every change of balance or exposure advances `txn_seq`). Rows are
written in dependency order inside the statement: positions closed before the new one opens
(one open position per symbol), the order before its fills.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text

from domain.booking import Booking
from domain.positions import Side
from domain.records import AccountState, AccountStatus, PositionRecord, PositionStatus

# One row, one column: the account, its open positions, any stored order under the
# client_order_id, the database's clock and the ids, as one JSON document (numbers as strings,
# so every value reads back exactly as a Decimal).
READ = text(
    """
    SELECT json_build_object(
        'currency', a.currency, 'balance', a.balance::text, 'leverage', a.leverage,
        'status', a.status, 'txn_seq', a.txn_seq, 'read_at', clock_timestamp(),
        'replay_hash', o.request_hash, 'replay_result', o.result,
        'order_id', (SELECT CASE WHEN CAST(:allocate AS boolean)
                     THEN nextval('orders_id_seq') END),
        'fill_id', (SELECT CASE WHEN CAST(:allocate AS boolean)
                    THEN nextval('fills_id_seq') END),
        'position_id', (SELECT CASE WHEN CAST(:allocate AS boolean)
                        AND CAST(:may_open AS boolean) AND NOT EXISTS (
                            SELECT 1 FROM positions WHERE account_id = :account_id
                            AND symbol = :symbol AND status = 'open')
                        THEN nextval('positions_id_seq') END),
        'positions', COALESCE((
            SELECT json_agg(json_build_object(
                'id', p.id, 'symbol', p.symbol, 'side', p.side, 'lots', p.lots::text,
                'max_lots', p.max_lots::text, 'avg_price', p.avg_price::text,
                'realized_pnl', p.realized_pnl::text, 'opened_at', p.opened_at,
                'txn_seq', p.txn_seq) ORDER BY p.symbol)
            FROM positions p WHERE p.account_id = a.id AND p.status = 'open'), '[]'::json)
    )::text AS book
    FROM accounts a
    LEFT JOIN orders o ON o.account_id = a.id AND o.client_order_id = :client_order_id
    WHERE a.id = :account_id
    """
)

# One statement, one parameter: the booking as a JSON document (numbers as strings, read back
# exactly by the casts). Every row is written through `account`, which is empty when the
# account changed since it was read.
WRITE = text(
    """
    WITH account AS (
        UPDATE accounts AS a
        SET balance = CAST(b.d->>'balance' AS numeric), txn_seq = CAST(b.d->>'txn_seq' AS bigint)
        FROM (SELECT CAST(:booking AS jsonb) AS d) AS b
        WHERE a.id = CAST(b.d->>'account_id' AS integer)
          AND a.txn_seq = CAST(b.d->>'seen_txn_seq' AS bigint)
          AND a.status = CAST(b.d->>'seen_status' AS account_status)
          AND a.leverage = CAST(b.d->>'seen_leverage' AS integer)
        RETURNING a.id, b.d, CAST(b.d->>'txn_seq' AS bigint) AS txn_seq,
                  CAST(b.d->>'booked_at' AS timestamptz) AS booked_at
    ), changed AS (
        UPDATE positions AS p
        SET lots = u.lots, max_lots = u.max_lots, avg_price = u.avg_price,
            realized_pnl = u.realized_pnl, status = u.status, closed_at = u.closed_at,
            close_price = u.close_price, close_reason = u.close_reason, txn_seq = account.txn_seq
        FROM account, jsonb_to_recordset(account.d->'updated') AS u(
            id bigint, lots numeric, max_lots numeric, avg_price numeric, realized_pnl numeric,
            status position_status, closed_at timestamptz, close_price numeric,
            close_reason text)
        WHERE p.id = u.id AND p.account_id = account.id
        RETURNING p.id
    ), opened AS (
        INSERT INTO positions (id, account_id, symbol, side, lots, max_lots, avg_price,
                               realized_pnl, status, opened_at, txn_seq)
        SELECT n.id, account.id, n.symbol, n.side, n.lots, n.lots, n.avg_price, 0, 'open',
               account.booked_at, account.txn_seq
        FROM account, (SELECT count(*) FROM changed) AS closed_first,
             jsonb_to_recordset(account.d->'opened') AS n(
                 id bigint, symbol text, side order_side, lots numeric, avg_price numeric)
        RETURNING id
    ), booked_order AS (
        INSERT INTO orders (id, account_id, client_order_id, request_hash, symbol, side, lots,
                            price_bound, reason, status, result, txn_seq, created_at)
        SELECT o.id, account.id, o.client_order_id, o.request_hash, o.symbol, o.side, o.lots,
               o.price_bound, o.reason, o.status, account.d->'result', account.txn_seq,
               account.booked_at
        FROM account, jsonb_to_record(account.d->'order') AS o(
            id bigint, client_order_id text, request_hash text, symbol text, side order_side,
            lots numeric, price_bound numeric, reason order_reason, status text)
        RETURNING id, symbol, side
    ), booked_fills AS (
        INSERT INTO fills (id, order_id, account_id, position_id, symbol, side, lots, price,
                           realized_pnl, txn_seq, created_at, quote_bid, quote_ask, quote_at,
                           conversion_rate)
        SELECT f.id, booked_order.id, account.id, f.position_id, booked_order.symbol,
               booked_order.side, f.lots, f.price, f.realized_pnl, account.txn_seq,
               account.booked_at, f.quote_bid, f.quote_ask, f.quote_at, f.conversion_rate
        FROM account, booked_order, (SELECT count(*) FROM opened) AS opened_first,
             jsonb_to_recordset(account.d->'fills') AS f(
                 id bigint, position_id bigint, lots numeric, price numeric,
                 realized_pnl numeric, quote_bid numeric, quote_ask numeric,
                 quote_at timestamptz, conversion_rate numeric)
        RETURNING id
    ), entries AS (
        INSERT INTO ledger_entries (account_id, kind, amount, balance_after, reference, reason,
                                    txn_seq, created_at)
        SELECT account.id, e.kind, e.amount, e.balance_after, e.reference, e.reason,
               account.txn_seq, account.booked_at
        FROM account, jsonb_to_recordset(account.d->'entries') AS e(
            kind ledger_kind, amount numeric, balance_after numeric, reference text,
            reason text)
        RETURNING id, kind
    )
    SELECT (SELECT count(*) FROM account) AS booked,
           (SELECT json_object_agg(kind, id) FROM entries)::text AS entry_ids
    """
)

NEXT_IDS = text(
    "SELECT nextval('fills_id_seq') AS fill_id, nextval('positions_id_seq') AS position_id"
)


@dataclass(frozen=True)
class StoredOrder:
    """An order already booked under the request's client_order_id."""

    request_hash: str
    result: dict[str, Any]


@dataclass
class IdPool:
    """Ids for a booking's new rows: those read with the book first, then fetched as needed."""

    connection: Connection
    orders: list[int] = field(default_factory=list)
    fills: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)

    def order_id(self) -> int:
        """Return the new order's id."""
        return self.orders.pop(0)

    def fill_id(self) -> int:
        """Return a new fill's id."""
        if not self.fills:
            self._fetch()
        return self.fills.pop(0)

    def position_id(self) -> int:
        """Return a new position's id."""
        if not self.positions:
            self._fetch()
        return self.positions.pop(0)

    def _fetch(self) -> None:
        row = self.connection.execute(NEXT_IDS).one()
        self.fills.append(row.fill_id)
        self.positions.append(row.position_id)


@dataclass(frozen=True)
class AccountBook:
    """An account and its open positions as read at `read_at` (the database's clock)."""

    account: AccountState
    positions: tuple[PositionRecord, ...]
    read_at: datetime
    stored: StoredOrder | None
    ids: IdPool

    def held(self, symbol: str) -> PositionRecord | None:
        """Return the open position in the symbol, if any."""
        return next((p for p in self.positions if p.symbol == symbol), None)


def read_book(
    connection: Connection,
    account_id: int,
    symbol: str | None = None,
    client_order_id: str | None = None,
    allocate: bool = False,
    may_open: bool = True,
) -> AccountBook | None:
    """Read the account, its open positions and (optionally) ids; None when it does not exist."""
    params = {
        "account_id": account_id,
        "symbol": symbol,
        "client_order_id": client_order_id,
        "allocate": allocate,
        "may_open": may_open,
    }
    raw = connection.execute(READ, params).scalar()
    if raw is None:
        return None
    found = orjson.loads(raw)
    account = AccountState(
        id=account_id, currency=found["currency"], balance=Decimal(found["balance"]),
        leverage=found["leverage"], status=AccountStatus(found["status"]),
        txn_seq=found["txn_seq"],
    )  # fmt: skip
    stored = None
    if found["replay_hash"] is not None:
        stored = StoredOrder(found["replay_hash"], found["replay_result"])
    ids = IdPool(
        connection, _ids(found["order_id"]), _ids(found["fill_id"]), _ids(found["position_id"])
    )
    positions = tuple(_position(row) for row in found["positions"])
    return AccountBook(account, positions, _moment(found["read_at"]), stored, ids)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@functools.cache
def autocommit(engine: Engine) -> Engine:
    """Return the engine with autocommit: each statement is its own transaction."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def read_current(engine: Engine, account_id: int) -> AccountBook | None:
    """Read the account and its open positions as committed now (no ids)."""
    with autocommit(engine).connect() as connection:
        return read_book(connection, account_id)


def _ids(value: int | None) -> list[int]:
    return [] if value is None else [value]


def _position(row: dict[str, Any]) -> PositionRecord:
    return PositionRecord(
        id=row["id"], symbol=row["symbol"], side=Side(row["side"]), lots=Decimal(row["lots"]),
        max_lots=Decimal(row["max_lots"]), avg_price=Decimal(row["avg_price"]),
        realized_pnl=Decimal(row["realized_pnl"]), status=PositionStatus.OPEN,
        opened_at=_moment(row["opened_at"]), closed_at=None, close_price=None,
        close_reason=None, txn_seq=row["txn_seq"],
    )  # fmt: skip


def write_booking(
    connection: Connection,
    seen: AccountState,
    booking: Booking,
    request_hash: str,
    result: dict[str, Any],
) -> dict[str, int] | None:
    """Write every row of the booking in one statement; return the ids of its ledger entries by
    kind (one entry of a kind per booking), or None if the account changed meanwhile."""
    order = booking.order
    document = {
        "account_id": seen.id, "seen_txn_seq": seen.txn_seq, "seen_status": seen.status,
        "seen_leverage": seen.leverage, "balance": booking.account.balance,
        "txn_seq": booking.account.txn_seq, "booked_at": order.created_at,
        "order": {**_row(order, ORDER_COLUMNS), "request_hash": request_hash},
        "result": result,
        "updated": [_row(p, UPDATED_COLUMNS) for p in booking.updated],
        "opened": [_row(p, OPENED_COLUMNS) for p in booking.opened],
        "fills": [_row(f, FILL_COLUMNS) for f in booking.fills],
        "entries": [_row(e, ENTRY_COLUMNS) for e in booking.entries],
    }  # fmt: skip
    text_ = orjson.dumps(document, default=_json_value).decode()
    written = connection.execute(WRITE, {"booking": text_}).one()
    if not written.booked:
        return None
    ids: dict[str, int] = orjson.loads(written.entry_ids) if written.entry_ids else {}
    return ids


ORDER_COLUMNS = (
    "id", "client_order_id", "symbol", "side", "lots", "price_bound", "reason", "status",
)  # fmt: skip
UPDATED_COLUMNS = (
    "id", "lots", "max_lots", "avg_price", "realized_pnl", "status", "closed_at", "close_price",
    "close_reason",
)  # fmt: skip
OPENED_COLUMNS = ("id", "symbol", "side", "lots", "avg_price")
FILL_COLUMNS = (
    "id", "position_id", "lots", "price", "realized_pnl", "quote_bid", "quote_ask", "quote_at",
    "conversion_rate",
)  # fmt: skip
ENTRY_COLUMNS = ("kind", "amount", "balance_after", "reference", "reason")


def _row(record: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


def _json_value(value: Any) -> str:
    """Write a Decimal as its exact string (orjson writes enums, datetimes and str itself)."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} into a booking")
