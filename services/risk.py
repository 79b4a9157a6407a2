"""Margin call and stop out over the database: the sweep, and one account's stop out.

Policy:
- Levels and states come from the domain (``domain.margin.value_account``,
  ``domain.risk.margin_state``). Accounts are valued at the latest stored quote of every symbol,
  stale ones included: a stale price is the last known mark, the best estimate of the level.
- Stop out reads the account as committed, values it and, while the margin level is at or below
  the stop-out level and positions are open, closes the most losing position
  (``domain.risk.stop_out_sequence`` on unrealised PnL in the account currency) with a market
  order of reason ``stop_out`` through the one booking path, one at a time, re-reading and
  re-valuing the account after each close. Each close is booked only if the account is still
  exactly as it was valued (same transaction sequence number); otherwise the decision is taken
  again on what is now booked.
- A close needs a tradeable quote (fresh, and the market open when sessions are enforced). A
  position whose symbol has none, or whose close is refused, is skipped with an alert
  (``event=alert alert=stop_out_skipped``) and the next most losing one is closed instead: the
  account keeps shrinking its exposure rather than waiting on one frozen symbol. A symbol with
  no quote at all (Redis lost it) is valued at its position's average price (no PnL, margin at
  entry: services.quotes.Market.estimated) with an alert (``stop_out_estimated``), so the
  account is still judged and its priced positions closed. Only a missing conversion rate
  leaves the level unknown: nothing is closed, an alert is logged, the next sweep retries.
- Each close is decided and booked at the time it happens (a clock, read again for each close),
  not at the time the stop out began. In a sweep's pass, an unexpected error on one account is
  an alert (``stop_out_failed``) and the others are still stopped out.
- A position larger than the instrument's ``max_lots`` is closed in orders of ``max_lots``; each
  is re-evaluated like any other close. Only fully closed positions are returned.
- Idempotent: with the level above the stop-out level, or nothing open, ``stop_out`` changes
  nothing, so a retried or duplicated task is harmless.
- Events, after each commit: the booking's own (`order.filled`, `position.changed`,
  `account.updated`), then `stop_out`.
- The sweep reads every open position joined to its account in one query, without locks, and
  values every account at one snapshot of the quotes: first in floats, vectorised with the
  positions engine's book (services.engine), then exactly, in Decimal with the domain's rules,
  every account the floats put near or below the margin-call level or could not value (a
  symbol without any quote is estimated at its position's average price, as stop out does). It
  publishes `margin.call` for each account at or below the margin-call level (stop-out ones
  included, with their ``margin_state``) that no one announced yet (services.margin_calls: once
  per crossing, shared with the positions engine) and returns the accounts at or below the
  stop-out level; ``stop_out`` then re-checks each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np

from domain.errors import DomainError, PositionNotFound
from domain.instruments import get_instrument
from domain.margin import AccountValuation, OpenPosition, position_unrealized_pnl, value_account
from domain.positions import PositionState
from domain.pricing import untradeable_reason
from domain.records import AccountState, OrderReason, PositionStatus
from domain.risk import MarginState, at_or_below, margin_state, stop_out_sequence
from domain.valuation import open_positions_of
from services import margin_calls
from services.book_store import AccountBook, read_current
from services.booking import Collaborators, OrderResult, book
from services.engine.book import PositionBook
from services.engine.loader import book_of, open_positions
from services.engine.revalue import Levels, revalue_symbol
from services.events import MarginCalled, StoppedOut
from services.positions import AccountChanged, CloseRequest
from services.quotes import Market

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
    """The next close a stop out books, decided on the account at `txn_seq`."""

    position_id: int
    symbol: str
    txn_seq: int


def stop_out(
    deps: Collaborators,
    account_id: int,
    stop_out_level: Decimal,
    clock: Callable[[], datetime],
) -> list[int]:
    """Close the most losing positions one at a time until the level is above stop out."""
    closed: list[int] = []
    skipped: set[str] = set()
    while (close := _next_close(deps, account_id, stop_out_level, clock(), skipped)) is not None:
        request = CloseRequest(
            account_id, position_id=close.position_id, reason=OrderReason.STOP_OUT,
            if_txn_seq=close.txn_seq,
        )  # fmt: skip
        try:
            result = book(deps, request, clock())
        except (AccountChanged, PositionNotFound):
            continue  # something was booked meanwhile: decide again on what is booked now
        except DomainError as error:
            skipped.add(close.symbol)
            _alert_skipped(account_id, close.symbol, error)
            continue
        _publish_stop_out(deps, account_id, result)
        if result.position.status is PositionStatus.CLOSED:
            closed.append(close.position_id)
    if closed:
        log.warning("event=stop_out account_id=%s closed=%s", account_id, closed)
    return closed


def _next_close(
    deps: Collaborators,
    account_id: int,
    stop_out_level: Decimal,
    now: datetime,
    skipped: set[str],
) -> _Close | None:
    """Value the account as booked now; return the close it needs next, or None."""
    book_ = read_current(deps.sql, account_id)
    if book_ is None or not book_.positions:
        return None
    held = [(p.symbol, p.avg_price) for p in book_.positions]
    market, estimated = Market.load(deps.quotes).estimated(held)
    if estimated:
        log.error(
            "event=alert alert=stop_out_estimated account_id=%s symbols=%s",
            account_id, ",".join(estimated),
        )  # fmt: skip
    try:
        valuation = _value(book_.account, book_, market)
        pnls = _unrealized_pnls(book_, market)
    except DomainError as error:
        log.error("event=alert alert=stop_out_unvalued account_id=%s error=%r", account_id, error)
        return None
    if not at_or_below(valuation.equity, valuation.used_margin, stop_out_level):
        return None
    by_symbol = {position.symbol: position for position in book_.positions}
    for symbol in stop_out_sequence(list(pnls.items())):
        if symbol in skipped:
            continue
        quote = market.quotes.get(symbol)
        reason = untradeable_reason(
            get_instrument(symbol), quote.ts_event if quote else None, now, deps.enforce_sessions
        )
        if reason is not None:
            skipped.add(symbol)
            _alert_skipped(account_id, symbol, reason)
            continue
        return _Close(by_symbol[symbol].id, symbol, book_.account.txn_seq)
    log.error("event=alert alert=stop_out_blocked account_id=%s", account_id)
    return None


def _value(account: AccountState, book_: AccountBook, market: Market) -> AccountValuation:
    return value_account(
        account.balance, account.currency, account.leverage, open_positions_of(book_.positions),
        market.bid_ask(), market.rates,
    )  # fmt: skip


def _unrealized_pnls(book_: AccountBook, market: Market) -> dict[str, Decimal]:
    """Return symbol -> unrealised PnL in the account currency."""
    quotes, currency = market.bid_ask(), book_.account.currency
    return {
        position.symbol: position_unrealized_pnl(position_open, quotes, currency, market.rates)
        for position, position_open in zip(
            book_.positions, open_positions_of(book_.positions), strict=True
        )
    }


def _alert_skipped(account_id: int, symbol: str, error: DomainError) -> None:
    log.error(
        "event=alert alert=stop_out_skipped account_id=%s symbol=%s error=%r",
        account_id,
        symbol,
        error,
    )


def _publish_stop_out(deps: Collaborators, account_id: int, result: OrderResult) -> None:
    """Publish the `stop_out` event of a committed close."""
    event = StoppedOut(
        account_id, result.account.txn_seq, result.position, result.fill,
        result.account.margin_level,
    )  # fmt: skip
    deps.publisher.account_events([event])


# Accounts whose float level is at most this many percentage points above the margin-call
# level (or that cannot be valued in floats) are valued again exactly; a float level is within
# 1e-9 of the exact one, and the exact level is rounded to 0.01 (half-even) before it is judged.
SCREEN_POINTS = 0.01


def sweep_margin(
    deps: Collaborators,
    margin_call_level: Decimal,
    stop_out_level: Decimal,
    now: datetime,
) -> SweepResult:
    """Value every account with open positions; warn margin calls, return those due stop out."""
    with deps.sql.connect() as connection:
        chunks = list(open_positions(connection))
    rows = [row for chunk in chunks for row in chunk]
    market = Market.load(deps.quotes)
    book_ = book_of(chunks)
    candidates = _screen(book_, market, margin_call_level, stop_out_level)
    account_ids = np.fromiter((row.id for row in rows), dtype=np.int64, count=len(rows))
    warned: list[int] = []
    due: list[int] = []
    unvalued: list[int] = []
    events: list[MarginCalled] = []
    for account_id in candidates:
        start, end = np.searchsorted(account_ids, [account_id, account_id + 1])
        account, positions = _exact_book(rows[start:end])
        held = [(row.symbol, row.avg_price) for row in rows[start:end]]
        priced, estimated = market.estimated(held)
        if estimated:
            log.error(
                "event=alert alert=sweep_estimated account_id=%s symbols=%s",
                account.id, ",".join(estimated),
            )  # fmt: skip
        try:
            valuation = value_account(
                account.balance, account.currency, account.leverage, positions,
                priced.bid_ask(), priced.rates,
            )  # fmt: skip
        except DomainError as error:
            unvalued.append(account.id)
            log.error("event=alert alert=sweep_unvalued account_id=%s error=%r", account.id, error)
            continue
        state = margin_state(
            valuation.equity, valuation.used_margin, margin_call_level, stop_out_level
        )
        if state is MarginState.OK:
            continue
        (due if state is MarginState.STOP_OUT else warned).append(account.id)
        events.append(margin_called(account, valuation, state, margin_call_level, stop_out_level))
    _announce(deps, events, {*warned, *due, *unvalued})
    return SweepResult(book_.accounts.size, warned, due, unvalued)


def _announce(deps: Collaborators, calls: list[MarginCalled], below: set[int]) -> None:
    """Publish the margin calls not announced yet; forget those of accounts back above."""
    client = deps.publisher.client
    margin_calls.recovered(client, margin_calls.called(client) - below)
    new = set(margin_calls.announce(client, [event.account_id for event in calls]))
    deps.publisher.account_events([event for event in calls if event.account_id in new])


def _screen(
    book_: PositionBook, market: Market, margin_call_level: Decimal, stop_out_level: Decimal
) -> list[int]:
    """Value the book in floats; return the accounts to value exactly, by id."""
    levels = Levels(float(margin_call_level), float(stop_out_level))
    for symbol, symbol_book in book_.symbols.items():
        quote = market.quotes.get(symbol)
        if quote is not None:
            bid, ask = float(quote.bid), float(quote.ask)
            revalue_symbol(symbol_book, book_.accounts, bid, ask, market.rates, levels)
    accounts = book_.accounts
    n = accounts.size
    used = accounts.margin[:n]
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(used > 0, (accounts.balance[:n] + accounts.pnl[:n]) / used * 100, np.inf)
    screened = (accounts.missing[:n] > 0) | (level <= levels.margin_call + SCREEN_POINTS)
    return sorted(int(account_id) for account_id in accounts.id[:n][screened])


def _exact_book(rows: Sequence[Any]) -> tuple[AccountState, list[OpenPosition]]:
    """Return an account and its open positions (exact Decimals) from its rows."""
    first = rows[0]
    account = AccountState(
        first.id, first.currency, first.balance, first.leverage, first.status, first.txn_seq
    )
    positions = [
        OpenPosition(
            get_instrument(row.symbol),
            PositionState.of(row.symbol, row.side, row.lots, row.avg_price),
        )
        for row in rows
    ]
    return account, positions


def margin_called(
    account: AccountState,
    valuation: AccountValuation,
    state: MarginState,
    margin_call_level: Decimal,
    stop_out_level: Decimal,
) -> MarginCalled:
    """Return the `margin.call` event of an account at or below the margin-call level."""
    return MarginCalled(
        account_id=account.id, seq=account.txn_seq, currency=account.currency,
        balance=valuation.balance, equity=valuation.equity,
        unrealized_pnl=valuation.unrealized_pnl, used_margin=valuation.used_margin,
        free_margin=valuation.free_margin, margin_level=valuation.margin_level,
        margin_state=state, margin_call_level=margin_call_level, stop_out_level=stop_out_level,
    )  # fmt: skip


def stop_out_all(
    deps: Collaborators,
    account_ids: Iterable[int],
    stop_out_level: Decimal,
    clock: Callable[[], datetime],
) -> dict[int, list[int]]:
    """Stop out each account in turn; return account id -> closed position ids.

    An unexpected error on one account is logged as an alert and the pass goes on with the
    others (their stop out must not wait on one broken account); the next sweep retries it.
    """
    closed: dict[int, list[int]] = {}
    for account_id in account_ids:
        try:
            closed[account_id] = stop_out(deps, account_id, stop_out_level, clock)
        except Exception:  # one account must never stop the others' stop outs
            log.exception("event=alert alert=stop_out_failed account_id=%s", account_id)
    return closed
