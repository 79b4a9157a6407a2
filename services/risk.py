"""Margin call and stop out over the database: the sweep, and one account's stop out.

Policy:
- Levels and states come from the domain (``domain.margin.value_account``,
  ``domain.risk.margin_state``). Accounts are valued at the latest stored quote of every symbol,
  stale ones included: a stale price is the last known mark, the best estimate of the level.
- Stop out re-checks under the account lock (SELECT ... FOR UPDATE): while the margin level is at
  or below the stop-out level and positions are open, it closes the most losing position
  (``domain.risk.stop_out_sequence`` on unrealised PnL in the account currency) with a market
  order of reason ``stop_out`` (opposite side, same lots), one at a time. The decision and the
  close share one transaction and one lock: ``place_market_order`` re-locks the row this
  transaction already holds, books and commits; the next round re-reads the account and its
  positions and re-values them.
- A close needs a tradeable quote (fresh, and the market open when sessions are enforced). A
  position whose symbol has none, or whose close is refused, is skipped with an alert
  (``event=alert alert=stop_out_skipped``) and the next most losing one is closed instead: the
  account keeps shrinking its exposure rather than waiting on one frozen symbol. A symbol with
  no quote at all (or a missing conversion rate) leaves the level unknown: nothing is closed, an
  alert is logged, and the next sweep retries once the feed has refilled Redis.
- A position larger than the instrument's ``max_lots`` is closed in orders of ``max_lots``; each
  is re-evaluated like any other close. Only fully closed positions are returned.
- Idempotent: with the level above the stop-out level, or nothing open, ``stop_out`` changes
  nothing, so a retried or duplicated task is harmless.
- Events, after each commit: the order service's own (`order.filled`, `position.changed`,
  `account.updated`), then `stop_out`.
- The sweep reads every open position joined to its account in one query, without locks, values
  every account at one snapshot of the quotes, publishes `margin.call` for each account at or
  below the margin-call level (stop-out ones included, with their ``state``) and returns the
  accounts at or below the stop-out level; ``stop_out`` then re-checks each under its lock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from domain.errors import DomainError
from domain.instruments import get_instrument
from domain.margin import AccountValuation, OpenPosition, position_unrealized_pnl, value_account
from domain.positions import PositionState, Side
from domain.pricing import untradeable_reason
from domain.risk import MarginState, margin_state, stop_out_sequence
from models import Account, OrderReason, OrderSide, Position, PositionStatus
from models.base import DbSession
from services import realtime
from services.accounts import Market, lock_account, open_positions, position_state, valuate
from services.orders import Collaborators, OrderRequest, place_market_order
from services.present import money

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    """What one sweep found: accounts valued, warned, due for stop out, or not valued."""

    checked: int
    margin_call: list[int]
    stop_out: list[int]
    unvalued: list[int]


@dataclass(frozen=True)
class _Close:
    """The next close a stop out books."""

    position_id: int
    symbol: str
    side: Side
    lots: Decimal


def stop_out(
    session: DbSession,
    deps: Collaborators,
    account_id: int,
    stop_out_level: Decimal,
    now: datetime,
) -> list[int]:
    """Close the most losing positions one at a time until the level is above stop out."""
    closed: list[int] = []
    skipped: set[str] = set()
    while (
        close := _next_close(session, deps, account_id, stop_out_level, now, skipped)
    ) is not None:
        request = OrderRequest(
            account_id, close.symbol, close.side, close.lots, reason=OrderReason.STOP_OUT
        )
        try:
            result = place_market_order(session, deps, request, now)
        except DomainError as error:
            session.rollback()
            skipped.add(close.symbol)
            _alert_skipped(account_id, close.symbol, error)
            continue
        _publish_stop_out(deps, account_id, result)
        if result["position"]["status"] == PositionStatus.CLOSED.value:
            closed.append(close.position_id)
    session.rollback()
    if closed:
        log.warning("event=stop_out account_id=%s closed=%s", account_id, closed)
    return closed


def _next_close(
    session: DbSession,
    deps: Collaborators,
    account_id: int,
    stop_out_level: Decimal,
    now: datetime,
    skipped: set[str],
) -> _Close | None:
    """Lock the account and return the close it needs next, or None when none is due or possible."""
    account = lock_account(session, account_id)
    positions = open_positions(session, account_id)
    if not positions:
        return None
    market = Market.load(deps.quotes)
    try:
        valuation = valuate(account, positions, market)
        pnls = _unrealized_pnls(account, positions, market)
    except DomainError as error:
        log.error("event=alert alert=stop_out_unvalued account_id=%s error=%r", account_id, error)
        return None
    if valuation.margin_level is None or valuation.margin_level > stop_out_level:
        return None
    by_symbol = {position.symbol: position for position in positions}
    for symbol in stop_out_sequence(list(pnls.items())):
        if symbol in skipped:
            continue
        quote = market.quotes.get(symbol)
        instrument = get_instrument(symbol)
        reason = untradeable_reason(
            instrument, quote.ts_event if quote else None, now, deps.enforce_sessions
        )
        if reason is not None:
            skipped.add(symbol)
            _alert_skipped(account_id, symbol, reason)
            continue
        return _closing(by_symbol[symbol], instrument.max_lots)
    log.error("event=alert alert=stop_out_blocked account_id=%s", account_id)
    return None


def _unrealized_pnls(
    account: Account, positions: Sequence[Position], market: Market
) -> dict[str, Decimal]:
    """Return symbol -> unrealised PnL in the account currency."""
    quotes = market.bid_ask()
    return {
        p.symbol: position_unrealized_pnl(
            OpenPosition(get_instrument(p.symbol), position_state(p)),
            quotes,
            account.currency,
            market.rates,
        )
        for p in positions
    }


def _closing(position: Position, max_lots: Decimal) -> _Close:
    """Return the order that closes the position (at most max_lots at a time)."""
    side = Side.SELL if position.side == OrderSide.BUY else Side.BUY
    return _Close(position.id, position.symbol, side, min(position.lots, max_lots))


def _alert_skipped(account_id: int, symbol: str, error: DomainError) -> None:
    log.error(
        "event=alert alert=stop_out_skipped account_id=%s symbol=%s error=%r",
        account_id,
        symbol,
        error,
    )


def _publish_stop_out(deps: Collaborators, account_id: int, result: dict[str, Any]) -> None:
    """Publish the `stop_out` event of a committed close."""
    account = result["account"]
    payload = {
        "position": result["position"],
        "fill": result["fill"],
        "margin_level": account["margin_level"],
    }
    event = realtime.account_event(realtime.STOP_OUT, account_id, account["txn_seq"], payload)
    realtime.publish_account_events(deps.publisher, [event])


@dataclass
class _Book:
    """An account's balance and open positions as read by the sweep."""

    account_id: int
    balance: Decimal
    currency: str
    leverage: int
    txn_seq: int
    positions: list[OpenPosition] = field(default_factory=list)


def sweep_margin(
    session: DbSession,
    deps: Collaborators,
    margin_call_level: Decimal,
    stop_out_level: Decimal,
    now: datetime,
) -> SweepResult:
    """Value every account with open positions; warn margin calls, return those due stop out."""
    books = _open_books(session)
    session.rollback()  # a read: end the transaction before the slower valuation
    market = Market.load(deps.quotes)
    quotes = market.bid_ask()
    warned: list[int] = []
    due: list[int] = []
    unvalued: list[int] = []
    events: list[dict[str, Any]] = []
    for book in books:
        try:
            valuation = value_account(
                book.balance, book.currency, book.leverage, book.positions, quotes, market.rates
            )
        except DomainError as error:
            unvalued.append(book.account_id)
            log.error(
                "event=alert alert=sweep_unvalued account_id=%s error=%r", book.account_id, error
            )
            continue
        state = margin_state(valuation.margin_level, margin_call_level, stop_out_level)
        if state is MarginState.OK:
            continue
        (due if state is MarginState.STOP_OUT else warned).append(book.account_id)
        events.append(_margin_call_event(book, valuation, state, now))
    realtime.publish_account_events(deps.publisher, events)
    return SweepResult(len(books), warned, due, unvalued)


def _open_books(session: DbSession) -> list[_Book]:
    """Read every open position with its account's balance, in one query."""
    query = (
        select(
            Position.account_id, Position.symbol, Position.side, Position.lots, Position.avg_price,
            Account.balance, Account.currency, Account.leverage, Account.txn_seq,
        )
        .join(Account, Account.id == Position.account_id)
        .where(Position.status == PositionStatus.OPEN)
        .order_by(Position.account_id, Position.symbol)
    )  # fmt: skip
    books: dict[int, _Book] = {}
    for row in session.execute(query):
        book = books.get(row.account_id)
        if book is None:
            book = _Book(row.account_id, row.balance, row.currency, row.leverage, row.txn_seq)
            books[row.account_id] = book
        signed = row.lots if row.side == OrderSide.BUY else -row.lots
        state = PositionState(row.symbol, signed, row.avg_price)
        book.positions.append(OpenPosition(get_instrument(row.symbol), state))
    return list(books.values())


def _margin_call_event(
    book: _Book, valuation: AccountValuation, state: MarginState, now: datetime
) -> dict[str, Any]:
    """Build the `margin.call` event of an account at or below the margin-call level."""
    payload = {
        "state": state.value,
        "margin_level": money(valuation.margin_level),
        "equity": money(valuation.equity),
        "used_margin": money(valuation.used_margin),
        "free_margin": money(valuation.free_margin),
        "currency": valuation.currency,
        "valued_at": now,
    }
    return realtime.account_event(realtime.MARGIN_CALL, book.account_id, book.txn_seq, payload)


def stop_out_all(
    session: DbSession,
    deps: Collaborators,
    account_ids: Iterable[int],
    stop_out_level: Decimal,
    now: datetime,
) -> dict[int, list[int]]:
    """Stop out each account in turn; return account id -> closed position ids."""
    return {
        account_id: stop_out(session, deps, account_id, stop_out_level, now)
        for account_id in account_ids
    }
