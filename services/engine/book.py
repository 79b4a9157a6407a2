"""The engine's in-memory book: open positions per symbol and accounts, as numpy arrays.

Layout (float64 for display-only valuation, never for booking):
- ``Accounts``: one row per account the engine follows (rows are never removed; an account whose
  positions all closed keeps a row with nothing open). Columns: id, balance, currency index,
  txn seq, unrealised PnL and used margin in the account currency (sums over its positions), the
  number of its positions that cannot be valued yet (no quote or no conversion rate), its margin
  state (0 OK, 1 margin call, 2 stop out), whether a valuation is waiting to be published, and
  when it was last published and last sent to stop out.
- ``PositionBook``: the accounts and one ``SymbolBook`` per symbol held.
- ``SymbolBook``: one row per open position in one symbol (netting: at most one per account, so
  account indices in a book are unique and fancy-index updates never collide). Columns: account
  index, signed units (lots x contract size, negative when short), average price, margin in the
  base currency (units / effective leverage), the account's currency index, and the PnL and
  margin last added to the account's sums, so a revaluation adds only the difference.
Rows are removed by moving the last row into the hole; arrays grow by doubling.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from domain.conversion import minor_unit_digits
from domain.instruments import INSTRUMENTS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StateArray = npt.NDArray[np.int8]

OK, MARGIN_CALL, STOP_OUT = 0, 1, 2
_INITIAL_CAPACITY = 16


def _grow(array: npt.NDArray[Any], capacity: int) -> npt.NDArray[Any]:
    grown = np.zeros(capacity, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


class Columns:
    """Parallel growable numpy columns with a row count."""

    _dtypes: dict[str, Any] = {}

    def __init__(self, capacity: int = _INITIAL_CAPACITY) -> None:
        self.size = 0
        for name, dtype in self._dtypes.items():
            setattr(self, name, np.zeros(max(capacity, 1), dtype=dtype))

    def _append_row(self) -> int:
        first = next(iter(self._dtypes))
        capacity = len(getattr(self, first))
        if self.size == capacity:
            for name in self._dtypes:
                setattr(self, name, _grow(getattr(self, name), capacity * 2))
        self.size += 1
        return self.size - 1


class Accounts(Columns):
    """Per-account columns and the account id -> row map."""

    id: IntArray
    balance: FloatArray
    currency: IntArray
    seq: IntArray
    pnl: FloatArray
    margin: FloatArray
    missing: IntArray
    state: StateArray
    dirty: BoolArray
    last_published: FloatArray
    last_stop_out: FloatArray

    _dtypes = {
        "id": np.int64,
        "balance": np.float64,
        "currency": np.int64,
        "seq": np.int64,
        "pnl": np.float64,
        "margin": np.float64,
        "missing": np.int64,
        "state": np.int8,
        "dirty": np.bool_,
        "last_published": np.float64,
        "last_stop_out": np.float64,
    }

    def __init__(self, capacity: int = _INITIAL_CAPACITY) -> None:
        super().__init__(capacity)
        self.rows: dict[int, int] = {}
        self.currencies: list[str] = []
        self.currency_rows: dict[str, int] = {}
        self._scales: FloatArray = np.ones(1, dtype=np.float64)
        self.last_published[:] = -np.inf
        self.last_stop_out[:] = -np.inf

    def currency_index(self, currency: str) -> int:
        """Return the index of a currency code, adding it when new."""
        if currency not in self.currency_rows:
            self.currency_rows[currency] = len(self.currencies)
            self.currencies.append(currency)
            self._scales = np.array(
                [10.0 ** minor_unit_digits(code) for code in self.currencies], dtype=np.float64
            )
        return self.currency_rows[currency]

    def minor_unit_scale(self, rows: IntArray) -> FloatArray:
        """Return 10 ** (minor unit digits) of each row's currency (100 for USD, 1 for JPY)."""
        scales: FloatArray = self._scales[self.currency[rows]]
        return scales

    def upsert(self, account_id: int, balance: float, currency: str, seq: int) -> int:
        """Set an account's balance, currency and seq; return its row."""
        row = self.rows.get(account_id)
        if row is None:
            row = self._append_row()
            self.rows[account_id] = row
            self.id[row] = account_id
            self.last_published[row] = -np.inf
            self.last_stop_out[row] = -np.inf
        self.balance[row] = balance
        self.currency[row] = self.currency_index(currency)
        self.seq[row] = seq
        return row

    def add_many(
        self, ids: IntArray, balances: FloatArray, currencies: list[str], seqs: IntArray
    ) -> IntArray:
        """Add accounts not followed yet, in bulk (a fresh book's load); return their rows."""
        count = len(ids)
        first, self.size = self.size, self.size + count
        capacity = len(self.id)
        if self.size > capacity:
            for name in self._dtypes:
                setattr(self, name, _grow(getattr(self, name), max(self.size, capacity * 2)))
        rows = np.arange(first, self.size, dtype=np.int64)
        self.id[rows], self.balance[rows], self.seq[rows] = ids, balances, seqs
        self.currency[rows] = [self.currency_index(c) for c in currencies]
        self.last_published[rows] = -np.inf
        self.last_stop_out[rows] = -np.inf
        self.rows.update(zip(ids.tolist(), rows.tolist(), strict=True))
        return rows

    def clear_positions(self, row: int) -> None:
        """Forget the sums of an account's positions (they are about to be re-added)."""
        self.pnl[row] = 0.0
        self.margin[row] = 0.0
        self.missing[row] = 0

    def equity(self, rows: IntArray) -> FloatArray:
        """Return balance + unrealised PnL of the rows."""
        result: FloatArray = self.balance[rows] + self.pnl[rows]
        return result


class SymbolBook(Columns):
    """The open positions of one symbol."""

    account: IntArray
    units: FloatArray
    avg_price: FloatArray
    margin_base: FloatArray
    currency: IntArray
    pnl: FloatArray
    margin: FloatArray
    valued: BoolArray

    _dtypes = {
        "account": np.int64,
        "units": np.float64,
        "avg_price": np.float64,
        "margin_base": np.float64,
        "currency": np.int64,
        "pnl": np.float64,
        "margin": np.float64,
        "valued": np.bool_,
    }

    def __init__(
        self, symbol: str, base: str, quote: str, capacity: int = _INITIAL_CAPACITY
    ) -> None:
        super().__init__(capacity)
        self.symbol, self.base_currency, self.quote_currency = symbol, base, quote
        self.rows: dict[int, int] = {}
        self.all_valued = True

    def add(
        self, accounts: Accounts, account_row: int, units: float, avg: float, margin: float
    ) -> None:
        """Add an account's position, not valued yet (counted as missing on the account)."""
        if account_row in self.rows:
            self.remove(accounts, account_row)
        row = self._append_row()
        self.rows[account_row] = row
        self.account[row] = account_row
        self.units[row], self.avg_price[row], self.margin_base[row] = units, avg, margin
        self.currency[row] = accounts.currency[account_row]
        self.pnl[row] = self.margin[row] = 0.0
        self.valued[row] = False
        self.all_valued = False
        accounts.missing[account_row] += 1

    def add_many(
        self,
        accounts: Accounts,
        account_rows: IntArray,
        units: FloatArray,
        avg: FloatArray,
        margin: FloatArray,
    ) -> None:
        """Add positions of accounts that hold none in this symbol yet, in bulk (not valued)."""
        count = len(account_rows)
        first, self.size = self.size, self.size + count
        capacity = len(self.account)
        if self.size > capacity:
            for name in self._dtypes:
                setattr(self, name, _grow(getattr(self, name), max(self.size, capacity * 2)))
        rows = slice(first, self.size)
        self.account[rows], self.units[rows], self.avg_price[rows] = account_rows, units, avg
        self.margin_base[rows] = margin
        self.currency[rows] = accounts.currency[account_rows]
        self.pnl[rows] = self.margin[rows] = 0.0
        self.valued[rows] = False
        self.all_valued = self.all_valued and count == 0
        np.add.at(accounts.missing, account_rows, 1)
        self.rows.update(zip(account_rows.tolist(), range(first, self.size), strict=True))

    def remove(self, accounts: Accounts, account_row: int) -> None:
        """Remove an account's position (if any), taking its sums off the account."""
        row = self.rows.pop(account_row, None)
        if row is None:
            return
        accounts.pnl[account_row] -= self.pnl[row]
        accounts.margin[account_row] -= self.margin[row]
        accounts.missing[account_row] -= int(not self.valued[row])
        last = self.size - 1
        if row != last:
            for name in self._dtypes:
                column = getattr(self, name)
                column[row] = column[last]
            self.rows[int(self.account[row])] = row
        self.size = last

    def reset(self) -> None:
        """Drop every row (a full reload follows)."""
        self.size = 0
        self.rows.clear()
        self.all_valued = True


class PositionBook:
    """Every followed account and the open positions of every symbol."""

    def __init__(self) -> None:
        self.accounts = Accounts()
        self.symbols: dict[str, SymbolBook] = {}

    def carry_over(self, previous: PositionBook) -> None:
        """Keep what the previous book knew of accounts it shares with this one: their margin
        states (so a margin call is not repeated) and when each was last published and sent to
        stop out (so the throttles hold across a reload)."""
        old, new = previous.accounts, self.accounts
        _, new_rows, old_rows = np.intersect1d(
            new.id[: new.size], old.id[: old.size], assume_unique=True, return_indices=True
        )
        new.state[new_rows] = old.state[old_rows]
        new.last_published[new_rows] = old.last_published[old_rows]
        new.last_stop_out[new_rows] = old.last_stop_out[old_rows]

    def symbol_book(self, symbol: str) -> SymbolBook:
        """Return the book of a symbol, creating an empty one when new."""
        book = self.symbols.get(symbol)
        if book is None:
            instrument = INSTRUMENTS[symbol]
            book = SymbolBook(symbol, instrument.base_currency, instrument.quote_currency)
            self.symbols[symbol] = book
        return book
