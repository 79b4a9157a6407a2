"""Revaluing one symbol's positions on a tick, vectorised with numpy (float64, display only).

Policy (the same formulas as domain.margin, in floats):
- PnL = (price - avg_price) x signed units, longs at the client bid and shorts at the client ask,
  in the quote currency, converted to each account's currency by ``domain.conversion.rate`` at
  the current mids (direct, inverse or via USD). Margin = units / effective leverage in the base
  currency, converted the same way. A position whose rate is unknown is not valued: its account
  is neither published nor judged until it can be.
- Conversion uses the mids known when the position's own symbol ticks: a move of another pair
  that only changes the conversion rate shows at this symbol's next tick (or the next reload).
- The margin state follows the one rule of domain.risk.margin_state, on the figures an account
  shows (unrealised PnL and used margin rounded to the cent, as account.valued writes them):
  floats decide the clear cases, vectorised, and every account whose level is within
  BOUNDARY_POINTS of a threshold is decided by domain.risk.margin_state itself, in Decimal, so a
  level of exactly 50% stops out and 50.004% does not, here as in the sweep. An account moving
  from OK to a worse state is reported as a margin-call crossing once; one moving back to OK as
  recovered; every revaluation at STOP_OUT reports the account for stop out (the caller
  rate-limits the enqueue).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from domain.conversion import rate
from domain.errors import NoConversionRate
from domain.risk import MarginState, margin_state
from services.engine.book import (
    MARGIN_CALL,
    OK,
    STOP_OUT,
    Accounts,
    FloatArray,
    IntArray,
    StateArray,
    SymbolBook,
)

_STATE_CODES = {
    MarginState.OK: OK,
    MarginState.MARGIN_CALL: MARGIN_CALL,
    MarginState.STOP_OUT: STOP_OUT,
}


# Accounts whose float level is this close (percentage points) to a threshold are decided in
# Decimal by the domain's rule; a float level is within 1e-9 of the exact one.
BOUNDARY_POINTS = 0.01


@dataclass(frozen=True)
class Levels:
    """Margin-call and stop-out levels, in percent."""

    margin_call: float
    stop_out: float

    @property
    def exact(self) -> tuple[Decimal, Decimal]:
        """Return the levels as Decimals (margin call, stop out)."""
        return Decimal(str(self.margin_call)), Decimal(str(self.stop_out))


@dataclass(frozen=True)
class Revaluation:
    """Account rows touched by a revaluation, and those that crossed a threshold."""

    touched: IntArray
    margin_calls: IntArray
    stop_outs: IntArray
    recovered: IntArray


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
    """Set the margin state of account rows; return crossings, recoveries and stop outs."""
    scale = accounts.minor_unit_scale(rows)
    equity = accounts.balance[rows] + np.round(accounts.pnl[rows] * scale) / scale
    used = np.round(accounts.margin[rows] * scale) / scale
    state = margin_states(equity, used, levels)
    previous = accounts.state[rows]
    state = np.where(accounts.missing[rows] == 0, state, previous).astype(np.int8)
    accounts.state[rows] = state
    accounts.dirty[rows] = True
    crossed = (previous == OK) & (state >= MARGIN_CALL)
    recovered = (previous >= MARGIN_CALL) & (state == OK)
    return Revaluation(rows, rows[crossed], rows[state == STOP_OUT], rows[recovered])


def margin_states(equity: FloatArray, used: FloatArray, levels: Levels) -> StateArray:
    """Return each account's state (OK, MARGIN_CALL, STOP_OUT) by the domain's one rule."""
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(used > 0, equity / used * 100.0, np.inf)
    state = ((level <= levels.margin_call).astype(np.int8) + (level <= levels.stop_out)).astype(
        np.int8
    )
    near = (used > 0) & (
        (np.abs(level - levels.margin_call) < BOUNDARY_POINTS)
        | (np.abs(level - levels.stop_out) < BOUNDARY_POINTS)
    )
    call, stop = levels.exact
    for index in np.flatnonzero(near):
        exact = margin_state(_cents(equity[index]), _cents(used[index]), call, stop)
        state[index] = _STATE_CODES[exact]
    return state


def _cents(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")  # the figures are whole minor units already
