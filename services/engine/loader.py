"""Loading the engine's book from PostgreSQL: every open position at once, or one account's.

Both loads are ONE query each (accounts joined to their open positions), so what is loaded is
one consistent snapshot. Decimal columns become float64 here: the book is for display-only
valuation; nothing computed from it is ever booked.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, select

from domain.instruments import INSTRUMENTS
from domain.margin import effective_leverage
from domain.positions import PositionState
from domain.records import PositionStatus
from models import Account, Position
from services.engine.book import OK, PositionBook

log = logging.getLogger(__name__)


def _query(account_id: int | None) -> Select:
    columns = (Account.id, Account.balance, Account.currency, Account.leverage, Account.txn_seq)
    position = (Position.symbol, Position.side, Position.lots, Position.avg_price)
    joined = (Position.account_id == Account.id) & (Position.status == PositionStatus.OPEN)
    query = select(*columns, *position)
    if account_id is None:
        return query.join(Position, joined)
    return query.outerjoin(Position, joined).where(Account.id == account_id)


def load_all(book: PositionBook, connection: Connection) -> set[str]:
    """Replace the whole book with every open position; return the symbols held."""
    rows = connection.execute(_query(None)).all()
    accounts = book.accounts
    n = accounts.size
    had_positions = accounts.margin[:n] != 0
    for symbol_book in book.symbols.values():
        symbol_book.reset()
    accounts.pnl[:n] = 0.0
    accounts.margin[:n] = 0.0
    accounts.missing[:n] = 0
    for row in rows:
        _add(book, row)
    # Every position just added is unvalued, so missing == 0 means the account holds none:
    # it is OK, and if it held positions before it gets one last valuation published.
    empty = accounts.missing[:n] == 0
    accounts.state[:n][empty] = OK
    accounts.dirty[:n] |= empty & had_positions
    return {row.symbol for row in rows if row.symbol in INSTRUMENTS}


def load_account(book: PositionBook, connection: Connection, account_id: int) -> set[str]:
    """Reload one account's balance and open positions; return the symbols it holds."""
    rows = connection.execute(_query(account_id)).all()
    accounts = book.accounts
    followed = account_id in accounts.rows
    if not rows or (not followed and rows[0].symbol is None):
        return set()
    first = rows[0]
    row = accounts.upsert(account_id, float(first.balance), first.currency, int(first.txn_seq))
    for symbol_book in book.symbols.values():
        symbol_book.remove(accounts, row)
    accounts.clear_positions(row)
    accounts.dirty[row] = True
    held = [r for r in rows if r.symbol is not None]
    if not held:
        accounts.state[row] = OK
    for position in held:
        _add(book, position)
    return {r.symbol for r in held if r.symbol in INSTRUMENTS}


def _add(book: PositionBook, row: Any) -> None:
    """Add one (account, position) row of the load query."""
    accounts = book.accounts
    account_row = accounts.upsert(int(row.id), float(row.balance), row.currency, row.txn_seq)
    instrument = INSTRUMENTS.get(row.symbol)
    if instrument is None:
        log.warning("event=engine_unknown_symbol symbol=%s account_id=%s", row.symbol, row.id)
        return
    state = PositionState.of(row.symbol, row.side, row.lots, row.avg_price)
    units: Decimal = state.signed_lots * instrument.contract_size
    leverage = effective_leverage(instrument, int(row.leverage))
    margin_base = float(abs(units) / leverage)
    symbol_book = book.symbol_book(row.symbol)
    symbol_book.add(accounts, account_row, float(units), float(row.avg_price), margin_base)
