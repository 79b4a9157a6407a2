"""Booking a fill: from an account's state and a priced order to every row the booking writes.

Policy:
- The margin check (``domain.margin.check_order``) runs against the account valued at the same
  quotes the order is priced from; it is enforced only when the caller asks (client orders). A
  reducing order always passes it.
- Netting (``domain.positions.apply_fill``): an order on a symbol with no open position opens one
  at the fill price; on the same side it adds to the position; on the opposite side it reduces it
  at its average and realises PnL; crossing zero is two fills in the one booking: the first
  closes the old position (realising its PnL), the second opens the remainder as a new position at
  the fill price. So every position is always the signed sum of its own fills.
- Realised PnL arises in the quote currency and is converted to the account currency at the
  current mid rates (``domain.conversion.convert_money``: half-even to the currency's minor unit),
  booked on the closing fill, added to the position's ``realized_pnl`` and booked as one
  ``realized_pnl`` ledger entry (none when it is exactly zero).
- A booking is one transaction of the account: its transaction sequence number is the account's
  plus one, carried by the order, every fill, every changed position and every ledger entry, and
  every row is stamped with the same booking time.
- Ids come from the caller (``IdSource``): the database allocates them, the domain decides how many.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from domain.conversion import convert_money
from domain.instruments import Instrument
from domain.margin import MarginCheck, assert_order_allowed, check_order, value_account
from domain.positions import FillOutcome, Side, apply_fill
from domain.records import (
    AccountState,
    AccountSummary,
    FillRecord,
    LedgerKind,
    OrderReason,
    OrderRecord,
    OrderStatus,
    PositionRecord,
    PositionStatus,
)
from domain.valuation import open_positions_of, summarize_account

_ZERO = Decimal(0)


class IdSource(Protocol):
    """Where a booking takes the ids of the rows it creates."""

    def order_id(self) -> int:
        """Return the id of the new order."""
        ...

    def fill_id(self) -> int:
        """Return the id of a new fill."""
        ...

    def position_id(self) -> int:
        """Return the id of a new position."""
        ...


@dataclass(frozen=True)
class OrderTicket:
    """An order resolved against the account: symbol, side and lots are known."""

    symbol: str
    side: Side
    lots: Decimal
    reason: OrderReason = OrderReason.CLIENT
    client_order_id: str | None = None
    price_bound: Decimal | None = None


@dataclass(frozen=True)
class LedgerDraft:
    """A ledger entry to write (its id is the database's)."""

    kind: LedgerKind
    amount: Decimal
    balance_after: Decimal
    reference: str
    reason: str


@dataclass(frozen=True)
class Booking:
    """Every row one booking writes, and the account after it."""

    order: OrderRecord
    fills: tuple[FillRecord, ...]
    updated: tuple[PositionRecord, ...]
    opened: tuple[PositionRecord, ...]
    entries: tuple[LedgerDraft, ...]
    account: AccountState
    summary: AccountSummary
    check: MarginCheck

    @property
    def position(self) -> PositionRecord:
        """Return the position the order leaves: the one it opened, else the one it changed."""
        return (self.opened or self.updated)[-1]

    @property
    def fill(self) -> FillRecord:
        """Return the last fill (the only one unless the order crossed zero)."""
        return self.fills[-1]


@dataclass(frozen=True)
class _Step:
    """Who writes what: the shared facts of one booking."""

    ticket: OrderTicket
    price: Decimal
    order_id: int
    txn_seq: int
    at: datetime


def book_fill(
    account: AccountState,
    held: Sequence[PositionRecord],
    ticket: OrderTicket,
    instrument: Instrument,
    price: Decimal,
    quotes: Mapping[str, tuple[Decimal, Decimal]],
    rates: Mapping[str, Decimal],
    ids: IdSource,
    booked_at: datetime,
    *,
    check_margin: bool,
) -> Booking:
    """Check margin, net the fill and return every row to write (the account is not changed)."""
    current = next((p for p in held if p.symbol == ticket.symbol), None)
    before = value_account(
        account.balance, account.currency, account.leverage, open_positions_of(held), quotes, rates
    )
    check = check_order(
        before, instrument, current.state if current else None, ticket.side, ticket.lots, price,
        account.leverage, account.currency, rates,
    )  # fmt: skip
    if check_margin:
        assert_order_allowed(check)
    outcome = apply_fill(
        current.state if current else None, ticket.symbol, ticket.side, ticket.lots, price,
        instrument.contract_size,
    )  # fmt: skip
    realized = _ZERO
    if outcome.reduced:
        realized = convert_money(
            outcome.realized_pnl, instrument.quote_currency, account.currency, rates
        )
    step = _Step(ticket, price, ids.order_id(), account.txn_seq + 1, booked_at)
    fills, updated, opened = _net(step, current, outcome, realized, ids)
    entries = _entries(step, account, fills, realized)
    after = replace(account, balance=account.balance + realized, txn_seq=step.txn_seq)
    still_open = [p for p in held if p is not current] + [
        p for p in (*updated, *opened) if p.status is PositionStatus.OPEN
    ]
    return Booking(
        order=_order(step),
        fills=fills,
        updated=updated,
        opened=opened,
        entries=entries,
        account=after,
        summary=summarize_account(after, still_open, quotes, rates),
        check=check,
    )


def _order(step: _Step) -> OrderRecord:
    ticket = step.ticket
    return OrderRecord(
        id=step.order_id, client_order_id=ticket.client_order_id, symbol=ticket.symbol,
        side=ticket.side, lots=ticket.lots, price_bound=ticket.price_bound, reason=ticket.reason,
        status=OrderStatus.FILLED, txn_seq=step.txn_seq, created_at=step.at,
    )  # fmt: skip


def _fill(step: _Step, fill_id: int, position_id: int, lots: Decimal, pnl: Decimal) -> FillRecord:
    return FillRecord(
        id=fill_id, order_id=step.order_id, position_id=position_id, symbol=step.ticket.symbol,
        side=step.ticket.side, lots=lots, price=step.price, realized_pnl=pnl,
        txn_seq=step.txn_seq, created_at=step.at,
    )  # fmt: skip


def _net(
    step: _Step,
    current: PositionRecord | None,
    outcome: FillOutcome,
    realized: Decimal,
    ids: IdSource,
) -> tuple[tuple[FillRecord, ...], tuple[PositionRecord, ...], tuple[PositionRecord, ...]]:
    """Return the fills, the changed positions and the opened ones of a netting outcome."""
    if current is None:
        opened = _opened(step, ids.position_id(), outcome.opened_lots)
        return (_fill(step, ids.fill_id(), opened.id, step.ticket.lots, _ZERO),), (), (opened,)
    if outcome.flipped:
        closing = _fill(step, ids.fill_id(), current.id, outcome.closed_lots, realized)
        opened = _opened(step, ids.position_id(), outcome.opened_lots)
        opening = _fill(step, ids.fill_id(), opened.id, outcome.opened_lots, _ZERO)
        return (closing, opening), (_closed(step, current, realized),), (opened,)
    fill = _fill(step, ids.fill_id(), current.id, step.ticket.lots, realized)
    if outcome.position.is_flat:
        return (fill,), (_closed(step, current, realized),), ()
    state = outcome.position
    changed = replace(
        current,
        lots=state.lots,
        max_lots=max(current.max_lots, state.lots),
        avg_price=state.avg_price,
        realized_pnl=current.realized_pnl + realized,
        txn_seq=step.txn_seq,
    )
    return (fill,), (changed,), ()


def _opened(step: _Step, position_id: int, lots: Decimal) -> PositionRecord:
    return PositionRecord(
        id=position_id, symbol=step.ticket.symbol, side=step.ticket.side, lots=lots,
        max_lots=lots, avg_price=step.price, realized_pnl=_ZERO, status=PositionStatus.OPEN,
        opened_at=step.at, closed_at=None, close_price=None, close_reason=None,
        txn_seq=step.txn_seq,
    )  # fmt: skip


def _closed(step: _Step, current: PositionRecord, realized: Decimal) -> PositionRecord:
    return replace(
        current,
        lots=_ZERO,
        realized_pnl=current.realized_pnl + realized,
        status=PositionStatus.CLOSED,
        closed_at=step.at,
        close_price=step.price,
        close_reason=step.ticket.reason.value,
        txn_seq=step.txn_seq,
    )


def _entries(
    step: _Step, account: AccountState, fills: Sequence[FillRecord], realized: Decimal
) -> tuple[LedgerDraft, ...]:
    """Return the ledger entries: the realised PnL on the closing fill, if not zero."""
    if realized == 0:
        return ()
    closing = next(fill for fill in fills if fill.realized_pnl != 0)
    return (
        LedgerDraft(
            kind=LedgerKind.REALIZED_PNL,
            amount=realized,
            balance_after=account.balance + realized,
            reference=f"fill:{closing.id}",
            reason=f"{step.ticket.reason.value} {step.ticket.symbol}",
        ),
    )
