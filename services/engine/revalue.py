"""Revaluing one symbol's positions on a tick, vectorised with numpy (float64, display only).

Policy (the same formulas as domain.margin, in floats):
- PnL = (price - avg_price) x signed units, longs at the client bid and shorts at the client ask,
  in the quote currency, converted to each account's currency by ``domain.conversion.rate`` at
  the current mids (direct, inverse or via USD). Margin = units / effective leverage in the base
  currency, converted the same way. A position whose rate is unknown is not valued: its account
  is neither published nor judged until it can be.
- Conversion uses the mids known when the position's own symbol ticks: a move of another pair
  that only changes the conversion rate shows at this symbol's next tick (or the next reload).
- Margin level = equity / used margin x 100. State: STOP_OUT at or below the stop-out level,
  MARGIN_CALL at or below the margin-call level, else OK. An account moving from OK to a worse
  state is reported as a margin-call crossing once; every revaluation at STOP_OUT reports the
  account for stop out (the caller rate-limits the enqueue).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from domain.conversion import rate
from domain.errors import NoConversionRate
from services.engine.book import (
    MARGIN_CALL,
    OK,
    STOP_OUT,
    Accounts,
    FloatArray,
    IntArray,
    SymbolBook,
)


@dataclass(frozen=True)
class Levels:
    """Margin-call and stop-out levels, in percent."""

    margin_call: float
    stop_out: float


@dataclass(frozen=True)
class Revaluation:
    """Account rows touched by a revaluation, and those that crossed a threshold."""

    touched: IntArray
    margin_calls: IntArray
    stop_outs: IntArray


def conversion_factors(
    from_currency: str, currencies: Sequence[str], mids: Mapping[str, Decimal]
) -> FloatArray:
    """Return the rate from a currency to each account currency (NaN when there is none)."""
    factors = np.empty(max(len(currencies), 1), dtype=np.float64)
    factors[:] = np.nan
    for index, currency in enumerate(currencies):
        with contextlib.suppress(NoConversionRate):
            factors[index] = float(rate(from_currency, currency, mids))
    return factors


def revalue_symbol(
    book: SymbolBook,
    accounts: Accounts,
    bid: float,
    ask: float,
    mids: Mapping[str, Decimal],
    levels: Levels,
) -> Revaluation:
    """Revalue one symbol's positions at (bid, ask), converting at the mids."""
    quote_factors = conversion_factors(book.quote_currency, accounts.currencies, mids)
    base_factors = conversion_factors(book.base_currency, accounts.currencies, mids)
    return revalue(book, accounts, bid, ask, quote_factors, base_factors, levels)


def revalue(
    book: SymbolBook,
    accounts: Accounts,
    bid: float,
    ask: float,
    quote_factors: FloatArray,
    base_factors: FloatArray,
    levels: Levels,
) -> Revaluation:
    """Revalue every position of one symbol and update its accounts' sums and margin states."""
    n = book.size
    rows = book.account[:n]
    currency = book.currency[:n]
    units = book.units[:n]
    pnl = (np.where(units > 0, bid, ask) - book.avg_price[:n]) * units * quote_factors[currency]
    margin = book.margin_base[:n] * base_factors[currency]
    factors_known = np.isfinite(quote_factors).all() and np.isfinite(base_factors).all()
    if not (book.all_valued and factors_known):
        pnl, margin = _mark_valued(book, accounts, pnl, margin)
    accounts.pnl[rows] += pnl - book.pnl[:n]
    accounts.margin[rows] += margin - book.margin[:n]
    book.pnl[:n] = pnl
    book.margin[:n] = margin
    return judge(accounts, rows, levels)


def _mark_valued(
    book: SymbolBook, accounts: Accounts, pnl: FloatArray, margin: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Zero what cannot be valued and keep each account's count of unvalued positions."""
    n = book.size
    valued = np.isfinite(pnl) & np.isfinite(margin)
    change = valued.astype(np.int64) - book.valued[:n].astype(np.int64)
    accounts.missing[book.account[:n]] -= change
    book.valued[:n] = valued
    book.all_valued = bool(valued.all())
    return np.where(valued, pnl, 0.0), np.where(valued, margin, 0.0)


def judge(accounts: Accounts, rows: IntArray, levels: Levels) -> Revaluation:
    """Set the margin state of account rows; return margin-call crossings and stop outs."""
    used = accounts.margin[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(used > 0, accounts.equity(rows) / used * 100.0, np.inf)
    state = (level <= levels.margin_call).astype(np.int8) + (level <= levels.stop_out)
    previous = accounts.state[rows]
    state = np.where(accounts.missing[rows] == 0, state, previous).astype(np.int8)
    accounts.state[rows] = state
    accounts.dirty[rows] = True
    crossed = (previous == OK) & (state >= MARGIN_CALL)
    return Revaluation(rows, rows[crossed], rows[state == STOP_OUT])
