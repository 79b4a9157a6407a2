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
from models import Account, Position, PositionStatus
from services.engine.book import OK, Accounts, SymbolBook

log = logging.getLogger(__name__)


def _query(account_id: int | None) -> Select:
    columns = (Account.id, Account.balance, Account.currency, Account.leverage, Account.txn_seq)
    position = (Position.symbol, Position.side, Position.lots, Position.avg_price)
    joined = (Position.account_id == Account.id) & (Position.status == PositionStatus.OPEN)
    query = select(*columns, *position)
    if account_id is None:
        return query.join(Position, joined)
    return query.outerjoin(Position, joined).where(Account.id == account_id)


class Book:
    """Accounts and the open positions of every symbol, loaded from PostgreSQL."""

    def __init__(self) -> None:
        self.accounts = Accounts()
        self.symbols: dict[str, SymbolBook] = {}

    def symbol_book(self, symbol: str) -> SymbolBook:
        """Return the book of a symbol, creating an empty one when new."""
        book = self.symbols.get(symbol)
        if book is None:
            instrument = INSTRUMENTS[symbol]
            book = SymbolBook(symbol, instrument.base_currency, instrument.quote_currency)
            self.symbols[symbol] = book
        return book

    def load_all(self, connection: Connection) -> set[str]:
        """Replace the whole book with every open position; return the symbols held."""
        rows = connection.execute(_query(None)).all()
        accounts = self.accounts
        n = accounts.size
        had_positions = accounts.margin[:n] != 0
        for book in self.symbols.values():
            book.reset()
        accounts.pnl[:n] = 0.0
        accounts.margin[:n] = 0.0
        accounts.missing[:n] = 0
        for row in rows:
            self._add(row)
        # Every position just added is unvalued, so missing == 0 means the account holds none:
        # it is OK, and if it held positions before it gets one last valuation published.
        empty = accounts.missing[:n] == 0
        accounts.state[:n][empty] = OK
        accounts.dirty[:n] |= empty & had_positions
        return {row.symbol for row in rows if row.symbol in INSTRUMENTS}

    def load_account(self, connection: Connection, account_id: int) -> set[str]:
        """Reload one account's balance and open positions; return the symbols it holds."""
        rows = connection.execute(_query(account_id)).all()
        followed = account_id in self.accounts.rows
        if not rows or (not followed and rows[0].symbol is None):
            return set()
        first = rows[0]
        row = self.accounts.upsert(
            account_id, float(first.balance), first.currency, int(first.txn_seq)
        )
        for book in self.symbols.values():
            book.remove(self.accounts, row)
        self.accounts.clear_positions(row)
        self.accounts.dirty[row] = True
        held = [r for r in rows if r.symbol is not None]
        if not held:
            self.accounts.state[row] = OK
        for position in held:
            self._add(position)
        return {r.symbol for r in held if r.symbol in INSTRUMENTS}

    def _add(self, row: Any) -> None:
        """Add one (account, position) row of the load query."""
        accounts = self.accounts
        account_row = accounts.upsert(int(row.id), float(row.balance), row.currency, row.txn_seq)
        instrument = INSTRUMENTS.get(row.symbol)
        if instrument is None:
            log.warning("event=engine_unknown_symbol symbol=%s account_id=%s", row.symbol, row.id)
            return
        sign = 1 if row.side == "BUY" else -1
        units: Decimal = row.lots * instrument.contract_size
        leverage = effective_leverage(instrument, int(row.leverage))
        margin_base = float(units / leverage)
        book = self.symbol_book(row.symbol)
        book.add(accounts, account_row, float(units * sign), float(row.avg_price), margin_base)
