"""The engine's events on `fx:accounts`: throttled live valuations and margin calls.

Shapes (the envelope of services.realtime, `data` carrying `account_id` and the account's `seq`):
- `account.valued`: {account_id, seq, currency, balance, equity, unrealized_pnl, used_margin,
  free_margin, margin_level, margin_state} as decimal strings (margin_level null with no margin
  used). Unrealised PnL and used margin are rounded to the currency's minor unit before equity,
  free margin and level are derived, as domain.margin.value_account does; values are computed in
  float64 and are a display, never booked.
- `margin.call`: the same fields plus `margin_call_level` and `stop_out_level`.
Valuations are conflated per account: at most one per `interval` seconds, the latest state wins.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from domain.conversion import minor_unit_digits
from services import realtime
from services.engine.book import Accounts
from services.engine.revalue import Levels
from services.realtime import ACCOUNT_VALUED

STATE_NAMES = ("OK", "MARGIN_CALL", "STOP_OUT")


def _money(value: float, digits: int) -> str:
    return f"{round(value, digits):.2f}"


def valuation(accounts: Accounts, row: int) -> dict[str, Any]:
    """Return the live valuation of an account row as decimal strings."""
    currency = accounts.currencies[int(accounts.currency[row])]
    digits = minor_unit_digits(currency)
    balance = float(accounts.balance[row])
    unrealized = round(float(accounts.pnl[row]), digits)
    used = round(float(accounts.margin[row]), digits)
    equity = balance + unrealized
    return {
        "currency": currency,
        "balance": _money(balance, 2),
        "equity": _money(equity, 2),
        "unrealized_pnl": _money(unrealized, digits),
        "used_margin": _money(used, digits),
        "free_margin": _money(equity - used, 2),
        "margin_level": None if used <= 0 else f"{equity / used * 100:.2f}",
        "margin_state": STATE_NAMES[int(accounts.state[row])],
    }


def _event(kind: str, accounts: Accounts, row: int, extra: dict[str, Any]) -> dict[str, Any]:
    account_id, seq = int(accounts.id[row]), int(accounts.seq[row])
    return realtime.account_event(kind, account_id, seq, {**valuation(accounts, row), **extra})


def due_valuations(accounts: Accounts, now: float, interval: float) -> list[dict[str, Any]]:
    """Return `account.valued` events of changed accounts not published within `interval`."""
    n = accounts.size
    ready = np.flatnonzero(
        accounts.dirty[:n]
        & (accounts.missing[:n] == 0)
        & (accounts.last_published[:n] <= now - interval)
    )
    events = [_event(ACCOUNT_VALUED, accounts, int(row), {}) for row in ready]
    accounts.dirty[ready] = False
    accounts.last_published[ready] = now
    return events


def margin_calls(accounts: Accounts, rows: np.ndarray, levels: Levels) -> list[dict[str, Any]]:
    """Return `margin.call` events of account rows that just crossed the margin-call level."""
    extra = {
        "margin_call_level": f"{levels.margin_call:.2f}",
        "stop_out_level": f"{levels.stop_out:.2f}",
    }
    return [_event(realtime.MARGIN_CALL, accounts, int(row), extra) for row in rows]


def due_stop_outs(accounts: Accounts, rows: np.ndarray, now: float, cooldown: float) -> list[int]:
    """Return account ids at stop out not sent within `cooldown` seconds; mark them sent."""
    due = rows[accounts.last_stop_out[rows] <= now - cooldown]
    accounts.last_stop_out[due] = now
    return [int(account_id) for account_id in accounts.id[due]]
