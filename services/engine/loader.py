"""Loading the engine's book from PostgreSQL: every open position at once, or one account's.

Both loads are ONE query each (accounts joined to their open positions), so what is loaded is
one consistent snapshot. Decimal columns become float64 here: the book is for display-only
valuation; nothing computed from it is ever booked. The whole book is built in bulk with numpy
(100,000 positions in a fraction of a second), into a new book the engine swaps in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Connection, Row, Select, select

from domain.instruments import INSTRUMENTS
from domain.margin import effective_leverage
from domain.positions import PositionState, Side
from domain.records import PositionStatus
from models import Account, Position
from services.engine.book import OK, PositionBook

log = logging.getLogger(__name__)


def _account_query(account_id: int) -> Select:
    """One account with its open positions (a row without position when it holds none)."""
    columns = (Account.id, Account.balance, Account.currency, Account.leverage, Account.txn_seq)
    position = (Position.symbol, Position.side, Position.lots, Position.avg_price)
    joined = (Position.account_id == Account.id) & (Position.status == PositionStatus.OPEN)
    return select(*columns, *position).outerjoin(Position, joined).where(Account.id == account_id)


CHUNK_ROWS = 2000
OPEN_POSITIONS = select(
    Account.id, Account.balance, Account.currency, Account.leverage, Account.txn_seq,
    Account.status, Position.symbol, Position.side, Position.lots, Position.avg_price,
).join(
    Position, (Position.account_id == Account.id) & (Position.status == PositionStatus.OPEN)
).order_by(Account.id, Position.symbol)  # fmt: skip


def open_positions(connection: Connection) -> Iterator[Sequence[Row[Any]]]:
    """Yield every open position with its account (exact Decimals), ordered by account id, in
    chunks of CHUNK_ROWS (a server-side cursor: needs a transaction, not autocommit)."""
    streamed = connection.execution_options(stream_results=True, yield_per=CHUNK_ROWS)
    yield from streamed.execute(OPEN_POSITIONS).partitions()  # type: ignore[misc]


def load_all(connection: Connection) -> PositionBook:
    """Return a new book of every open position, loaded in one query and built in bulk."""
    return book_of(open_positions(connection))


@dataclass
class _Columns:
    """The load's columns, converted chunk by chunk (each step short: another thread, the
    engine's tick loop, gets the interpreter between steps)."""

    ids: list[np.ndarray] = field(default_factory=list)
    balances: list[np.ndarray] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    leverage: list[np.ndarray] = field(default_factory=list)
    seqs: list[np.ndarray] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    signs: list[np.ndarray] = field(default_factory=list)
    lots: list[np.ndarray] = field(default_factory=list)
    avg: list[np.ndarray] = field(default_factory=list)

    def add(self, chunk: Sequence[Row[Any]]) -> None:
        """Convert one chunk of rows."""
        columns = list(zip(*chunk, strict=True))
        self.ids.append(np.array(columns[0], dtype=np.int64))
        self.balances.append(np.array(columns[1], dtype=np.float64))
        self.currencies.extend(columns[2])
        self.leverage.append(np.array(columns[3], dtype=np.int64))
        self.seqs.append(np.array(columns[4], dtype=np.int64))
        self.symbols.extend(columns[6])
        self.signs.append(np.array([1.0 if side == Side.BUY else -1.0 for side in columns[7]]))
        self.lots.append(np.array(columns[8], dtype=np.float64))
        self.avg.append(np.array(columns[9], dtype=np.float64))


def book_of(chunks: Iterable[Sequence[Row[Any]]]) -> PositionBook:
    """Build a book (float64, display only) from the chunks of `open_positions`, in bulk."""
    book = PositionBook()
    found = _Columns()
    for chunk in chunks:
        found.add(chunk)
    if not found.ids:
        return book
    ids = np.concatenate(found.ids)
    unique_ids, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    account_rows = book.accounts.add_many(
        unique_ids,
        np.concatenate(found.balances)[first],
        [found.currencies[i] for i in first],
        np.concatenate(found.seqs)[first],
    )[inverse]
    leverage, signs = np.concatenate(found.leverage), np.concatenate(found.signs)
    lots, avg = np.concatenate(found.lots), np.concatenate(found.avg)
    names = sorted(set(found.symbols))
    codes = {name: code for code, name in enumerate(names)}
    symbol_codes = np.array([codes[name] for name in found.symbols], dtype=np.int64)
    order = np.argsort(symbol_codes, kind="stable")
    bounds = np.searchsorted(symbol_codes[order], np.arange(len(names) + 1))
    for code, symbol in enumerate(names):
        instrument = INSTRUMENTS.get(symbol)
        if instrument is None:
            log.warning("event=engine_unknown_symbol symbol=%s", symbol)
            continue
        mine = order[bounds[code] : bounds[code + 1]]
        units = lots[mine] * float(instrument.contract_size)
        effective = np.minimum(leverage[mine], instrument.max_leverage)
        book.symbol_book(symbol).add_many(
            book.accounts, account_rows[mine], signs[mine] * units, avg[mine], units / effective
        )
    return book


def load_account(book: PositionBook, connection: Connection, account_id: int) -> set[str]:
    """Reload one account's balance and open positions; return the symbols it holds."""
    rows = connection.execute(_account_query(account_id)).all()
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
