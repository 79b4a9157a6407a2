"""The engine's events on the accounts channel: throttled live valuations and margin calls.

- `account.valued`: the account's currency, balance, equity, unrealised PnL, used and free margin,
  margin level (null with no margin used) and margin state. Unrealised PnL and used margin are
  rounded to the currency's minor unit before equity, free margin and level are derived, as
  domain.margin.value_account does; values are computed in float64 and are a display, never
  booked (they are rounded to the cent as Decimals for the schema that writes them).
- `margin.call`: the same fields plus `margin_call_level` and `stop_out_level`.
Valuations are conflated per account: at most one per `interval` seconds, the latest state wins;
at most `limit` are published per flush (after a full reload every account is due at once, and
the loop must keep revaluing ticks meanwhile).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from domain.conversion import minor_unit_digits
from domain.risk import MarginState
from services.engine.book import Accounts
from services.engine.revalue import Levels
from services.events import AccountValued, MarginCalled

STATES = (MarginState.OK, MarginState.MARGIN_CALL, MarginState.STOP_OUT)


def _cents(value: float, digits: int = 2) -> Decimal:
    return Decimal(f"{round(value, digits):.2f}")


def _figures(accounts: Accounts, row: int) -> dict[str, Any]:
    """Return the live valuation of an account row (display figures, rounded to the cent)."""
    currency = accounts.currencies[int(accounts.currency[row])]
    digits = minor_unit_digits(currency)
    balance = float(accounts.balance[row])
    unrealized = round(float(accounts.pnl[row]), digits)
    used = round(float(accounts.margin[row]), digits)
    equity = balance + unrealized
    return {
        "account_id": int(accounts.id[row]),
        "seq": int(accounts.seq[row]),
        "currency": currency,
        "balance": _cents(balance),
        "equity": _cents(equity),
        "unrealized_pnl": _cents(unrealized, digits),
        "used_margin": _cents(used, digits),
        "free_margin": _cents(equity - used),
        "margin_level": None if used <= 0 else Decimal(f"{equity / used * 100:.2f}"),
        "margin_state": STATES[int(accounts.state[row])],
    }


def valuation(accounts: Accounts, row: int) -> AccountValued:
    """Return the live valuation of an account row."""
    return AccountValued(**_figures(accounts, row))


def due_valuations(
    accounts: Accounts, now: float, interval: float, limit: int
) -> list[AccountValued]:
    """Return `account.valued` events of changed accounts not published within `interval`:
    at most `limit`, those published longest ago first (the others stay due)."""
    n = accounts.size
    ready = np.flatnonzero(
        accounts.dirty[:n]
        & (accounts.missing[:n] == 0)
        & (accounts.last_published[:n] <= now - interval)
    )
    if len(ready) > limit:
        oldest = np.argpartition(accounts.last_published[ready], limit - 1)[:limit]
        ready = ready[oldest]
    events = [valuation(accounts, int(row)) for row in ready]
    accounts.dirty[ready] = False
    accounts.last_published[ready] = now
    return events


def margin_calls(accounts: Accounts, rows: np.ndarray, levels: Levels) -> list[MarginCalled]:
    """Return `margin.call` events of account rows that just crossed the margin-call level."""
    call, stop = Decimal(str(levels.margin_call)), Decimal(str(levels.stop_out))
    return [
        MarginCalled(**_figures(accounts, int(row)), margin_call_level=call, stop_out_level=stop)
        for row in rows
    ]


def due_stop_outs(accounts: Accounts, rows: np.ndarray, now: float, cooldown: float) -> list[int]:
    """Return account ids at stop out not sent within `cooldown` seconds; mark them sent."""
    due = rows[accounts.last_stop_out[rows] <= now - cooldown]
    accounts.last_stop_out[due] = now
    return [int(account_id) for account_id in accounts.id[due]]
