"""Closing positions, and open positions valued at live prices.

Policy:
- A close is a reducing market order on the opposite side, booked through
  services.orders.place_market_order (the one booking path): it fills at the server's price
  (closing a long sells at the bid, a short buys at the ask), books the realised PnL in the ledger
  and carries its reason (`close` unless the caller says otherwise, e.g. `stop_out`).
- `lots` None closes the whole position; more lots than it holds is InvalidLots (a close never
  flips a position). A whole position larger than the instrument's largest order is closed in
  orders of at most that size, one after the other; the last order's result is returned.
- The position is found with the account row locked (SELECT ... FOR UPDATE), so no other order on
  the account can change it between the look-up and the booking.
- Live valuation: longs at the client bid, shorts at the client ask. Unrealised PnL and used margin
  are per position, in the account currency, each rounded half-even to the currency's minor unit
  (the account's totals are rounded once over the sum, so they may differ by a cent).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from domain.conversion import round_money
from domain.errors import InvalidLots, NoConversionRate, PositionNotFound, PriceStale
from domain.instruments import get_instrument
from domain.margin import OpenPosition, position_unrealized_pnl, required_margin
from domain.positions import close_fill_side
from models import Account, OrderReason, OrderSide, Position, PositionStatus
from models.base import DbSession
from services.accounts import (
    Market,
    lock_account,
    open_positions,
    position_state,
    unvalued_body,
    valuate,
    valuation_body,
)
from services.orders import Collaborators, OrderRequest, place_market_order
from services.present import money, position_body, price
from services.quotes import QuoteStore


def close_position(
    session: DbSession,
    deps: Collaborators,
    account_id: int,
    symbol: str,
    lots: Decimal | None,
    now: datetime,
    reason: OrderReason = OrderReason.CLOSE,
) -> dict[str, Any]:
    """Close all (lots None) or part of the account's open position in a symbol; commit."""
    get_instrument(symbol)
    lock_account(session, account_id)
    row = _open_row(session, account_id, Position.symbol == symbol)
    if row is None:
        session.rollback()
        raise PositionNotFound(symbol)
    return _close_locked(session, deps, row, lots, now, reason)


def close_position_by_id(
    session: DbSession,
    deps: Collaborators,
    account_id: int,
    position_id: int,
    now: datetime,
    reason: OrderReason = OrderReason.CLOSE,
) -> dict[str, Any]:
    """Close the whole open position with this id, if it is the account's; commit."""
    lock_account(session, account_id)
    row = _open_row(session, account_id, Position.id == position_id)
    if row is None:
        session.rollback()
        raise PositionNotFound(f"position id {position_id}")
    return _close_locked(session, deps, row, None, now, reason)


def _open_row(session: DbSession, account_id: int, condition: Any) -> Position | None:
    """Return the account's open position matching the condition, or None."""
    query = select(Position).where(
        Position.account_id == account_id, Position.status == PositionStatus.OPEN, condition
    )
    return session.scalar(query)


def _close_locked(
    session: DbSession,
    deps: Collaborators,
    row: Position,
    lots: Decimal | None,
    now: datetime,
    reason: OrderReason,
) -> dict[str, Any]:
    """Book the closing order(s) of a position found under the account lock."""
    held = row.lots
    if lots is not None and lots > held:
        session.rollback()
        raise InvalidLots(lots, f"more than the {held} lots held")
    side = close_fill_side(position_state(row))
    largest = get_instrument(row.symbol).max_lots
    account_id, symbol, position_id = row.account_id, row.symbol, row.id
    remaining = held if lots is None else lots
    while True:
        chunk = min(remaining, largest) if lots is None else remaining
        request = OrderRequest(account_id, symbol, side, chunk, reason=reason)
        result = place_market_order(session, deps, request, now)
        remaining -= chunk
        if remaining <= 0:
            return result
        # The commit released the lock: take it again and close what is really left.
        lock_account(session, account_id)
        row_left = _open_row(session, account_id, Position.id == position_id)
        if row_left is None:
            session.rollback()
            return result
        remaining = min(remaining, row_left.lots)


def valued_positions(
    session: DbSession, store: QuoteStore, account: Account
) -> list[dict[str, Any]]:
    """Return the account's open positions valued at current client prices."""
    market = Market.load(store)
    return [_valued(row, account, market) for row in open_positions(session, account.id)]


def valued_position(
    session: DbSession, store: QuoteStore, account: Account, symbol: str
) -> dict[str, Any]:
    """Return the account's open position in a symbol valued live; PositionNotFound if none."""
    row = _open_row(session, account.id, Position.symbol == symbol)
    if row is None:
        raise PositionNotFound(symbol)
    return _valued(row, account, Market.load(store))


def positions_snapshot(session: DbSession, store: QuoteStore, account: Account) -> dict[str, Any]:
    """Return the account and its open positions valued at one set of current prices."""
    market = Market.load(store)
    rows = open_positions(session, account.id)
    try:
        account_body = valuation_body(valuate(account, rows, market), account)
    except (PriceStale, NoConversionRate) as exc:
        account_body = unvalued_body(account, exc)
    return {"account": account_body, "positions": [_valued(row, account, market) for row in rows]}


def _valued(row: Position, account: Account, market: Market) -> dict[str, Any]:
    """Return a position body with its current price, unrealised PnL and used margin.

    Without a quote (or a conversion rate) for it, the live fields are null: the position is
    still shown, never valued at a guessed price.
    """
    try:
        return _valued_at(row, account, market)
    except (PriceStale, NoConversionRate, KeyError):
        return {
            **position_body(row),
            "current_price": None,
            "unrealized_pnl": None,
            "used_margin": None,
        }


def _valued_at(row: Position, account: Account, market: Market) -> dict[str, Any]:
    instrument = get_instrument(row.symbol)
    quotes = market.bid_ask()
    pnl = position_unrealized_pnl(
        OpenPosition(instrument, position_state(row)), quotes, account.currency, market.rates
    )
    bid, ask = quotes[row.symbol]
    margin = required_margin(instrument, row.lots, account.leverage, account.currency, market.rates)
    return {
        **position_body(row),
        "current_price": price(row.symbol, bid if row.side == OrderSide.BUY else ask),
        "unrealized_pnl": money(round_money(pnl, account.currency)),
        "used_margin": money(round_money(margin, account.currency)),
    }
