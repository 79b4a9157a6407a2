"""Placing a market order: one unit of work from the quote to the committed fill.

Steps, in order:
1. Validate the symbol and lots; refuse an untradeable quote (MARKET_CLOSED, PRICE_STALE).
2. Lock the account row (SELECT ... FOR UPDATE): orders on one account are serialised, orders on
   different accounts run in parallel.
3. Idempotency, under the lock: a `client_order_id` already booked returns the stored result
   (same body) or raises DuplicateClientOrderId (different body). Checking under the lock makes
   concurrent retries wait for the first and then replay it.
4. Fill at the server's price (BUY at ask, SELL at bid), refuse a price past the client's bound,
   check margin (reducing orders always pass), net into the position, book realised PnL in the
   account currency (rounded half-even to the cent) as a ledger entry.
5. Advance the account's transaction sequence once: the order, its fill and its ledger entry
   share that number. Commit, then publish `order.filled`, `position.changed`, `account.updated`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import redis
from sqlalchemy import select

from domain.conversion import convert_money
from domain.errors import AccountDisabled, DuplicateClientOrderId, PriceStale
from domain.instruments import Instrument, get_instrument
from domain.margin import assert_order_allowed, check_order
from domain.positions import FillOutcome, Side, apply_fill
from domain.pricing import check_price_bound, check_tradeable, fill_price
from models import (
    Account,
    AccountStatus,
    Fill,
    LedgerKind,
    Order,
    OrderReason,
    OrderSide,
    Position,
    PositionStatus,
)
from models.base import DbSession
from services import ledger, realtime
from services.accounts import (
    Market,
    lock_account,
    open_positions,
    position_state,
    valuate,
    valuation_body,
)
from services.present import fill_body, order_body, position_body
from services.quotes import QuoteStore


@dataclass(frozen=True)
class OrderRequest:
    """What a client (or the system) asks for."""

    account_id: int
    symbol: str
    side: Side
    lots: Decimal
    client_order_id: str | None = None
    price_bound: Decimal | None = None
    reason: OrderReason = OrderReason.CLIENT

    def digest(self) -> str:
        """Return a digest of the fields that define the order (for idempotent retries)."""
        bound = "" if self.price_bound is None else str(self.price_bound.normalize())
        text = f"{self.symbol}|{self.side.value}|{self.lots.normalize()}|{bound}"
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Collaborators:
    """What an order needs besides the database session."""

    quotes: QuoteStore
    publisher: redis.Redis
    enforce_sessions: bool


def place_market_order(
    session: DbSession, deps: Collaborators, request: OrderRequest, now: datetime
) -> dict[str, Any]:
    """Book a market order at the server's price and return the result; commit and publish."""
    instrument = get_instrument(request.symbol)
    instrument.validate_lots(request.lots)
    account = lock_account(session, request.account_id)
    replay = _replay(session, account.id, request)
    if replay is not None:
        session.rollback()
        return replay
    if account.status != AccountStatus.ACTIVE and request.reason == OrderReason.CLIENT:
        raise AccountDisabled(account.id)
    market = Market.load(deps.quotes)  # one read of the quotes serves price, margin and PnL
    price = _server_price(market, instrument, request, now, deps.enforce_sessions)
    result, events = _book(session, market, account, instrument, request, price, now)
    session.commit()
    realtime.publish_account_events(deps.publisher, events)
    return result


def _replay(session: DbSession, account_id: int, request: OrderRequest) -> dict[str, Any] | None:
    """Return the stored result of an already booked client_order_id, or None."""
    if request.client_order_id is None:
        return None
    existing = session.scalar(
        select(Order).where(
            Order.account_id == account_id, Order.client_order_id == request.client_order_id
        )
    )
    if existing is None:
        return None
    if existing.request_hash != request.digest():
        raise DuplicateClientOrderId(request.client_order_id)
    return existing.result


def _server_price(
    market: Market,
    instrument: Instrument,
    request: OrderRequest,
    now: datetime,
    enforce_sessions: bool,
) -> Decimal:
    """Return the fill price from the current quote, refusing stale or out-of-bound prices."""
    quote = market.quotes.get(instrument.symbol)
    if quote is None:
        raise PriceStale(instrument.symbol, None, instrument.staleness_seconds)
    check_tradeable(instrument, quote.ts_event, now, enforce_sessions)
    price = fill_price(request.side, quote.bid, quote.ask)
    check_price_bound(request.side, price, request.price_bound)
    return price


def _book(
    session: DbSession,
    market: Market,
    account: Account,
    instrument: Instrument,
    request: OrderRequest,
    price: Decimal,
    now: datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Check margin, net the fill, write order/fill/position/ledger; return result and events."""
    positions = open_positions(session, account.id)
    current_row = next((p for p in positions if p.symbol == instrument.symbol), None)
    current = position_state(current_row) if current_row else None
    valuation = valuate(account, positions, market)
    check = check_order(
        valuation, instrument, current, request.side, request.lots, price,
        account.leverage, account.currency, market.rates,
    )  # fmt: skip
    if request.reason == OrderReason.CLIENT:
        assert_order_allowed(check)
    outcome = apply_fill(
        current, instrument.symbol, request.side, request.lots, price, instrument.contract_size
    )
    realized = convert_money(
        outcome.realized_pnl, instrument.quote_currency, account.currency, market.rates
    )
    txn = ledger.next_txn(account)
    position = _net_into_position(
        session, account, current_row, outcome, request, price, realized, txn, now
    )
    order, fill = _insert_order_and_fill(
        session, account, request, price, realized, position, txn, now
    )
    if realized != 0:
        ledger.book(
            session, account, LedgerKind.REALIZED_PNL, realized, f"fill:{fill.id}",
            f"{request.reason.value} {instrument.symbol}", txn_seq=txn, now=now,
        )  # fmt: skip
    # The rows changed in place; a newly opened position is the only one not among them.
    still_open = [p for p in [*positions, position] if p.status == PositionStatus.OPEN]
    after = valuate(account, list(dict.fromkeys(still_open)), market)
    result = {
        "order": order_body(order),
        "fill": fill_body(fill),
        "position": position_body(position),
        "account": valuation_body(after, account),
    }
    order.result = result
    return result, _events(account, result)


def _net_into_position(
    session: DbSession,
    account: Account,
    row: Position | None,
    outcome: FillOutcome,
    request: OrderRequest,
    price: Decimal,
    realized: Decimal,
    txn: int,
    now: datetime,
) -> Position:
    """Apply the netting outcome to the position rows; return the position the fill belongs to."""
    state = outcome.position
    if row is not None and (outcome.flipped or state.is_flat):
        row.realized_pnl += realized
        row.lots = Decimal(0)
        row.status = PositionStatus.CLOSED
        row.closed_at = now
        row.close_price = price
        row.close_reason = request.reason.value
        row.txn_seq = txn
        if state.is_flat:
            return row
        realized = Decimal(0)
    elif row is not None:
        row.lots = state.lots
        row.max_lots = max(row.max_lots, state.lots)
        row.avg_price = state.avg_price
        row.realized_pnl += realized
        row.txn_seq = txn
        return row
    side = OrderSide(state.side.value if state.side else request.side.value)
    position = Position(
        account_id=account.id, symbol=request.symbol, side=side, lots=state.lots,
        max_lots=state.lots, avg_price=state.avg_price, realized_pnl=Decimal(0),
        status=PositionStatus.OPEN, opened_at=now, txn_seq=txn,
    )  # fmt: skip
    session.add(position)
    session.flush()
    return position


def _insert_order_and_fill(
    session: DbSession,
    account: Account,
    request: OrderRequest,
    price: Decimal,
    realized: Decimal,
    position: Position,
    txn: int,
    now: datetime,
) -> tuple[Order, Fill]:
    """Insert the order and its fill (flushed, so they have ids)."""
    order = Order(
        account_id=account.id, client_order_id=request.client_order_id,
        request_hash=request.digest(), symbol=request.symbol, side=OrderSide(request.side.value),
        lots=request.lots, price_bound=request.price_bound, reason=request.reason,
        status="filled", txn_seq=txn, created_at=now, result={},
    )  # fmt: skip
    session.add(order)
    session.flush()
    fill = Fill(
        order_id=order.id, account_id=account.id, position_id=position.id, symbol=request.symbol,
        side=OrderSide(request.side.value), lots=request.lots, price=price,
        realized_pnl=realized, txn_seq=txn, created_at=now,
    )  # fmt: skip
    session.add(fill)
    session.flush()
    return order, fill


def _events(account: Account, result: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the events of a booked order, all with the account's new sequence number."""
    payloads = [
        (realtime.ORDER_FILLED, {"order": result["order"], "fill": result["fill"]}),
        (realtime.POSITION_CHANGED, {"position": result["position"]}),
        (realtime.ACCOUNT_UPDATED, {"account": result["account"]}),
    ]
    return [
        realtime.account_event(kind, account.id, account.txn_seq, payload)
        for kind, payload in payloads
    ]
