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
from typing import Any

from sqlalchemy import Connection, Engine, text

from domain.booking import Booking
from domain.positions import Side
from domain.records import AccountState, AccountStatus, PositionRecord, PositionStatus

READ = text(
    """
    SELECT a.currency, a.balance, a.leverage, a.status::text AS status, a.txn_seq,
           clock_timestamp() AS read_at,
           o.request_hash AS replay_hash, o.result AS replay_result,
           (SELECT CASE WHEN CAST(:allocate AS boolean) THEN nextval('orders_id_seq') END)
               AS order_id,
           (SELECT CASE WHEN CAST(:allocate AS boolean) THEN nextval('fills_id_seq') END)
               AS fill_id,
           (SELECT CASE WHEN CAST(:allocate AS boolean) AND CAST(:may_open AS boolean)
                AND NOT EXISTS (
                SELECT 1 FROM positions
                WHERE account_id = :account_id AND symbol = :symbol AND status = 'open')
             THEN nextval('positions_id_seq') END) AS position_id,
           p.id AS p_id, p.symbol AS p_symbol, p.side::text AS p_side, p.lots AS p_lots,
           p.max_lots AS p_max_lots, p.avg_price AS p_avg_price,
           p.realized_pnl AS p_realized_pnl, p.opened_at AS p_opened_at,
           p.txn_seq AS p_txn_seq
    FROM accounts a
    LEFT JOIN positions p ON p.account_id = a.id AND p.status = 'open'
    LEFT JOIN orders o ON o.account_id = a.id AND o.client_order_id = :client_order_id
    WHERE a.id = :account_id
    ORDER BY p.symbol
    """
)

WRITE = text(
    """
    WITH account AS (
        UPDATE accounts SET balance = :balance, txn_seq = :txn_seq
        WHERE id = :account_id AND txn_seq = :seen_txn_seq
          AND status = CAST(:seen_status AS account_status) AND leverage = :seen_leverage
        RETURNING id
    ), changed AS (
        UPDATE positions AS p
        SET lots = u.lots, max_lots = u.max_lots, avg_price = u.avg_price,
            realized_pnl = u.realized_pnl, status = CAST(u.status AS position_status),
            closed_at = u.closed_at, close_price = u.close_price, close_reason = u.close_reason,
            txn_seq = CAST(:txn_seq AS bigint)
        FROM account, unnest(
            CAST(:u_id AS bigint[]), CAST(:u_lots AS numeric[]), CAST(:u_max_lots AS numeric[]),
            CAST(:u_avg_price AS numeric[]), CAST(:u_realized_pnl AS numeric[]),
            CAST(:u_status AS text[]), CAST(:u_closed_at AS timestamptz[]),
            CAST(:u_close_price AS numeric[]), CAST(:u_close_reason AS text[])
        ) AS u(id, lots, max_lots, avg_price, realized_pnl, status, closed_at, close_price,
               close_reason)
        WHERE p.id = u.id AND p.account_id = account.id
        RETURNING p.id
    ), opened AS (
        INSERT INTO positions (id, account_id, symbol, side, lots, max_lots, avg_price,
                               realized_pnl, status, opened_at, txn_seq)
        SELECT n.id, account.id, n.symbol, CAST(n.side AS order_side), n.lots, n.lots,
               n.avg_price, 0, 'open', CAST(:booked_at AS timestamptz), CAST(:txn_seq AS bigint)
        FROM account, (SELECT count(*) FROM changed) AS closed_first, unnest(
            CAST(:n_id AS bigint[]), CAST(:n_symbol AS text[]), CAST(:n_side AS text[]),
            CAST(:n_lots AS numeric[]), CAST(:n_avg_price AS numeric[])
        ) AS n(id, symbol, side, lots, avg_price)
        RETURNING id
    ), booked_order AS (
        INSERT INTO orders (id, account_id, client_order_id, request_hash, symbol, side, lots,
                            price_bound, reason, status, result, txn_seq, created_at)
        SELECT CAST(:order_id AS bigint), account.id, CAST(:client_order_id AS text),
               CAST(:request_hash AS text), CAST(:symbol AS text), CAST(:side AS order_side),
               CAST(:lots AS numeric), CAST(:price_bound AS numeric),
               CAST(:reason AS order_reason), CAST(:order_status AS text),
               CAST(:result AS jsonb), CAST(:txn_seq AS bigint), CAST(:booked_at AS timestamptz)
        FROM account
        RETURNING id
    ), booked_fills AS (
        INSERT INTO fills (id, order_id, account_id, position_id, symbol, side, lots, price,
                           realized_pnl, txn_seq, created_at)
        SELECT f.id, booked_order.id, CAST(:account_id AS integer), f.position_id,
               CAST(:symbol AS text), CAST(:side AS order_side), f.lots, f.price, f.realized_pnl,
               CAST(:txn_seq AS bigint), CAST(:booked_at AS timestamptz)
        FROM booked_order, (SELECT count(*) FROM opened) AS opened_first, unnest(
            CAST(:f_id AS bigint[]), CAST(:f_position_id AS bigint[]),
            CAST(:f_lots AS numeric[]), CAST(:f_price AS numeric[]),
            CAST(:f_realized_pnl AS numeric[])
        ) AS f(id, position_id, lots, price, realized_pnl)
        RETURNING id
    ), entries AS (
        INSERT INTO ledger_entries (account_id, kind, amount, balance_after, reference, reason,
                                    txn_seq, created_at)
        SELECT account.id, CAST(e.kind AS ledger_kind), e.amount, e.balance_after, e.reference,
               e.reason, CAST(:txn_seq AS bigint), CAST(:booked_at AS timestamptz)
        FROM account, unnest(
            CAST(:e_kind AS text[]), CAST(:e_amount AS numeric[]),
            CAST(:e_balance_after AS numeric[]), CAST(:e_reference AS text[]),
            CAST(:e_reason AS text[])
        ) AS e(kind, amount, balance_after, reference, reason)
        RETURNING id
    )
    SELECT (SELECT count(*) FROM account) AS booked,
           (SELECT count(*) FROM booked_fills) AS fills,
           (SELECT count(*) FROM entries) AS entries
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
    rows = connection.execute(READ, params).all()
    if not rows:
        return None
    first = rows[0]
    account = AccountState(
        id=account_id, currency=first.currency, balance=first.balance,
        leverage=first.leverage, status=AccountStatus(first.status), txn_seq=first.txn_seq,
    )  # fmt: skip
    stored = None
    if first.replay_hash is not None:
        stored = StoredOrder(first.replay_hash, first.replay_result)
    ids = IdPool(connection, _ids(first.order_id), _ids(first.fill_id), _ids(first.position_id))
    positions = tuple(_position(row) for row in rows if row.p_id is not None)
    return AccountBook(account, positions, first.read_at.astimezone(UTC), stored, ids)


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


def _position(row: Any) -> PositionRecord:
    return PositionRecord(
        id=row.p_id, symbol=row.p_symbol, side=Side(row.p_side), lots=row.p_lots,
        max_lots=row.p_max_lots, avg_price=row.p_avg_price, realized_pnl=row.p_realized_pnl,
        status=PositionStatus.OPEN, opened_at=row.p_opened_at, closed_at=None,
        close_price=None, close_reason=None, txn_seq=row.p_txn_seq,
    )  # fmt: skip


def write_booking(
    connection: Connection,
    seen: AccountState,
    booking: Booking,
    request_hash: str,
    result_json: str,
) -> bool:
    """Write every row of the booking in one statement; False if the account changed meanwhile."""
    order = booking.order
    params: dict[str, Any] = {
        "account_id": seen.id, "seen_txn_seq": seen.txn_seq, "seen_status": seen.status.value,
        "seen_leverage": seen.leverage, "balance": booking.account.balance,
        "txn_seq": booking.account.txn_seq, "booked_at": order.created_at,
        "order_id": order.id, "client_order_id": order.client_order_id,
        "request_hash": request_hash, "symbol": order.symbol, "side": order.side.value,
        "lots": order.lots, "price_bound": order.price_bound, "reason": order.reason.value,
        "order_status": order.status.value, "result": result_json,
        **_columns("u", booking.updated, UPDATED_COLUMNS),
        **_columns("n", booking.opened, OPENED_COLUMNS),
        **_columns("f", booking.fills, FILL_COLUMNS),
        **_columns("e", booking.entries, ENTRY_COLUMNS),
    }  # fmt: skip
    row = connection.execute(WRITE, params).one()
    return bool(row.booked)


UPDATED_COLUMNS = (
    "id", "lots", "max_lots", "avg_price", "realized_pnl", "status", "closed_at", "close_price",
    "close_reason",
)  # fmt: skip
OPENED_COLUMNS = ("id", "symbol", "side", "lots", "avg_price")
FILL_COLUMNS = ("id", "position_id", "lots", "price", "realized_pnl")
ENTRY_COLUMNS = ("kind", "amount", "balance_after", "reference", "reason")


def _columns(prefix: str, rows: Sequence[Any], names: Sequence[str]) -> dict[str, list[Any]]:
    """Return one array parameter per column (`{prefix}_{name}`), enums as their values."""
    return {f"{prefix}_{name}": [_plain(getattr(row, name)) for row in rows] for name in names}


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)
