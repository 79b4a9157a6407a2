"""Valuing booked accounts and positions at current prices (what the API and events show).

Policy:
- The formulas are ``domain.margin``'s: longs at the client bid, shorts at the client ask, PnL
  converted quote -> account currency and margin base -> account currency at mid rates; the
  account's sums are rounded once to the currency's minor unit, half-even.
- Each position's own unrealised PnL and used margin are rounded the same way, so the account's
  totals may differ by a cent from the sum of the rounded positions.
- What cannot be valued is None, never a guess: a position whose symbol has no quote, or whose
  conversion rate is missing, shows None live figures; an account holding such a position shows
  its booked figures with None live ones and ``valuation_error`` saying why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from domain.conversion import round_money
from domain.errors import NoConversionRate, PriceStale
from domain.instruments import get_instrument
from domain.margin import OpenPosition, position_unrealized_pnl, required_margin, value_account
from domain.positions import Side
from domain.records import AccountState, AccountSummary, PositionRecord, ValuedPosition

Quotes = Mapping[str, tuple[Decimal, Decimal]]


def open_positions_of(held: Sequence[PositionRecord]) -> list[OpenPosition]:
    """Return the booked positions with their instruments, as the margin formulas take them."""
    return [OpenPosition(get_instrument(p.symbol), p.state) for p in held]


def summarize_account(
    account: AccountState,
    held: Sequence[PositionRecord],
    quotes: Quotes,
    rates: Mapping[str, Decimal],
) -> AccountSummary:
    """Return the account's booked figures with its valuation at these prices, if it has one."""
    try:
        valuation = value_account(
            account.balance, account.currency, account.leverage, open_positions_of(held),
            quotes, rates,
        )  # fmt: skip
    except (PriceStale, NoConversionRate) as exc:
        return unvalued(account, str(exc))
    return AccountSummary(
        id=account.id, currency=account.currency, balance=account.balance,
        leverage=account.leverage, status=account.status, txn_seq=account.txn_seq,
        equity=valuation.equity, unrealized_pnl=valuation.unrealized_pnl,
        used_margin=valuation.used_margin, free_margin=valuation.free_margin,
        margin_level=valuation.margin_level,
    )  # fmt: skip


def unvalued(account: AccountState, reason: str) -> AccountSummary:
    """Return the account's booked figures with its live figures unknown, and why."""
    return AccountSummary(
        id=account.id, currency=account.currency, balance=account.balance,
        leverage=account.leverage, status=account.status, txn_seq=account.txn_seq,
        valuation_error=reason,
    )  # fmt: skip


def value_position(
    position: PositionRecord, account: AccountState, quotes: Quotes, rates: Mapping[str, Decimal]
) -> ValuedPosition:
    """Return an open position with its closing price, unrealised PnL and margin (or None)."""
    instrument = get_instrument(position.symbol)
    quote = quotes.get(position.symbol)
    try:
        if quote is None:
            raise PriceStale(position.symbol, None, instrument.staleness_seconds)
        open_position = OpenPosition(instrument, position.state)
        pnl = position_unrealized_pnl(open_position, quotes, account.currency, rates)
        margin = required_margin(
            instrument, position.lots, account.leverage, account.currency, rates
        )
    except (PriceStale, NoConversionRate):
        return ValuedPosition.of(position, None, None, None)
    bid, ask = quote
    return ValuedPosition.of(
        position,
        bid if position.side is Side.BUY else ask,
        round_money(pnl, account.currency),
        round_money(margin, account.currency),
    )
