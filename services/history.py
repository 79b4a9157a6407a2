"""Read-only history of one account: orders, fills, ledger entries, closed positions, changes.

Isolation: every query filters by the caller's account id, so another account's row is never
read and asking for it looks exactly like asking for a row that does not exist.

Pagination (keyset, newest first): rows are ordered by (time, id) descending, where time is
`created_at` (`closed_at` for closed positions), which is what the (account_id, ..., time) indexes
serve. A page holds at most `limit` rows; `next_before_id` is the id of its last row when more
rows follow, else null. Sent back as `before_id`, it returns the rows after that one in this order
(for rows booked in time order, the rows with id < before_id). A `before_id` that is not one of
the account's rows in that list gives an empty page. Time windows are half-open: from <= t < to.

Changes (`account_changes`): every order, fill and ledger entry with since < txn_seq <= the
account's txn_seq, ascending, capped at `limit` transactions; a transaction (an order with its fill
and ledger entry) is never split across two answers. `last_seq` is the highest sequence number the
answer covers: pass it as the next `since` until `complete` is true. Open positions are the
current ones, read after the changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, select, union

from domain.records import (
    FillRecord,
    LedgerKind,
    LedgerRecord,
    OrderRecord,
    PositionRecord,
    PositionStatus,
)
from models import Account, Fill, LedgerEntry, Order, Position
from models.base import DbSession
from services.rows import fill_record, ledger_record, order_record, position_record

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """Which page to read: at most `limit` rows after the row `before_id` (None: the newest)."""

    limit: int = 50
    before_id: int | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of records, newest first, and the cursor of the next page (None at the end)."""

    items: list[T]
    next_before_id: int | None


@dataclass(frozen=True)
class Window:
    """A half-open time window, start <= t < end; either end may be open."""

    start: datetime | None = None
    end: datetime | None = None

    def conditions(self, column: Any) -> list[ColumnElement[bool]]:
        """Return the SQL conditions that keep `column` inside the window."""
        found: list[ColumnElement[bool]] = []
        if self.start is not None:
            found.append(column >= self.start)
        if self.end is not None:
            found.append(column < self.end)
        return found


def _keyset_page(
    session: DbSession,
    model: Any,
    stamp: Any,
    scope: list[ColumnElement[bool]],
    filters: list[ColumnElement[bool]],
    page: PageRequest,
    record: Callable[[Any], T],
) -> Page[T]:
    """Return one page of `model` rows newest first by (stamp, id), as records."""
    query = select(model).where(*scope, *filters)
    if page.before_id is not None:
        cursor = session.scalar(select(stamp).where(model.id == page.before_id, *scope))
        if cursor is None:
            return Page([], None)
        query = query.where((stamp < cursor) | ((stamp == cursor) & (model.id < page.before_id)))
    query = query.order_by(stamp.desc(), model.id.desc()).limit(page.limit + 1)
    rows = list(session.scalars(query))
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return Page([record(row) for row in rows], rows[-1].id if more else None)


def _symbol_filter(column: Any, symbol: str | None) -> list[ColumnElement[bool]]:
    return [] if symbol is None else [column == symbol]


def order_page(
    session: DbSession,
    account_id: int,
    page: PageRequest,
    window: Window,
    symbol: str | None = None,
) -> Page[OrderRecord]:
    """Return a page of the account's orders, newest first."""
    filters = _symbol_filter(Order.symbol, symbol) + window.conditions(Order.created_at)
    scope = [Order.account_id == account_id]
    return _keyset_page(session, Order, Order.created_at, scope, filters, page, order_record)


def find_order(session: DbSession, account_id: int, order_id: int) -> OrderRecord | None:
    """Return the account's order with this id, or None (also when another account owns it)."""
    order = session.scalar(
        select(Order).where(Order.id == order_id, Order.account_id == account_id)
    )
    return None if order is None else order_record(order)


def fill_page(
    session: DbSession,
    account_id: int,
    page: PageRequest,
    window: Window,
    symbol: str | None = None,
) -> Page[FillRecord]:
    """Return a page of the account's fills, newest first."""
    filters = _symbol_filter(Fill.symbol, symbol) + window.conditions(Fill.created_at)
    scope = [Fill.account_id == account_id]
    return _keyset_page(session, Fill, Fill.created_at, scope, filters, page, fill_record)


def ledger_page(
    session: DbSession,
    account_id: int,
    page: PageRequest,
    window: Window,
    kind: LedgerKind | None = None,
) -> Page[LedgerRecord]:
    """Return a page of the account's ledger entries, newest first."""
    filters = window.conditions(LedgerEntry.created_at)
    if kind is not None:
        filters.append(LedgerEntry.kind == kind)
    scope = [LedgerEntry.account_id == account_id]
    stamp = LedgerEntry.created_at
    return _keyset_page(session, LedgerEntry, stamp, scope, filters, page, ledger_record)


def entries_of_kind(session: DbSession, kind: LedgerKind, page: PageRequest) -> Page[LedgerRecord]:
    """Return a page of every account's ledger entries of one kind, newest first (operators)."""
    scope = [LedgerEntry.kind == kind]
    stamp = LedgerEntry.created_at
    return _keyset_page(session, LedgerEntry, stamp, scope, [], page, ledger_record)


def closed_page(
    session: DbSession,
    account_id: int,
    page: PageRequest,
    window: Window,
    symbol: str | None = None,
) -> Page[PositionRecord]:
    """Return a page of the account's closed positions with realised PnL, last closed first."""
    filters = _symbol_filter(Position.symbol, symbol) + window.conditions(Position.closed_at)
    scope = [Position.account_id == account_id, Position.status == PositionStatus.CLOSED]
    stamp = Position.closed_at
    return _keyset_page(session, Position, stamp, scope, filters, page, position_record)


def _change_seqs(
    session: DbSession, account_id: int, since: int, upto: int, limit: int
) -> list[int]:
    """Return up to `limit` + 1 transaction numbers in (since, upto], ascending."""
    parts = [
        select(model.txn_seq).where(
            model.account_id == account_id, model.txn_seq > since, model.txn_seq <= upto
        )
        for model in (Order, Fill, LedgerEntry)
    ]
    seqs = union(*parts).subquery()
    query = select(seqs.c.txn_seq).order_by(seqs.c.txn_seq).limit(limit + 1)
    return list(session.scalars(query))


def _rows_between(
    session: DbSession, model: Any, account_id: int, low: int, high: int
) -> list[Any]:
    """Return the account's `model` rows with low < txn_seq <= high, ascending."""
    query = (
        select(model)
        .where(model.account_id == account_id, model.txn_seq > low, model.txn_seq <= high)
        .order_by(model.txn_seq, model.id)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class Changes:
    """What changed on an account after `since`, up to `last_seq`, and its open positions."""

    since: int
    last_seq: int
    complete: bool
    txn_seq: int
    orders: list[OrderRecord]
    fills: list[FillRecord]
    ledger: list[LedgerRecord]
    positions: list[PositionRecord]


def account_changes(session: DbSession, account_id: int, since: int, limit: int = 500) -> Changes:
    """Return what changed on the account after transaction `since`, for a client to resync."""
    current = session.scalar(select(Account.txn_seq).where(Account.id == account_id)) or 0
    seqs = _change_seqs(session, account_id, since, current, limit)
    complete = len(seqs) <= limit
    last = current if complete else seqs[limit - 1]
    open_now = select(Position).where(
        Position.account_id == account_id, Position.status == PositionStatus.OPEN
    )
    return Changes(
        since=since,
        last_seq=last,
        complete=complete,
        txn_seq=current,
        orders=[order_record(o) for o in _rows_between(session, Order, account_id, since, last)],
        fills=[fill_record(f) for f in _rows_between(session, Fill, account_id, since, last)],
        ledger=[
            ledger_record(e) for e in _rows_between(session, LedgerEntry, account_id, since, last)
        ],
        positions=[position_record(p) for p in session.scalars(open_now.order_by(Position.symbol))],
    )
