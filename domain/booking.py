"""Booking a fill: from an account's state and a priced order to every row the booking writes.

Policy:
- The margin check (``domain.margin.check_order``) runs against the account valued at the same
  quotes the order is priced from, as it would be right after the fill; it is enforced only when
  the caller asks (client orders). A reducing order (a close, an exit, a stop out, or any order
  that shrinks a position without flipping it) is not checked and needs no price but its own
  and a conversion rate for its PnL: another symbol without a quote never blocks it.
- Netting (``domain.positions.apply_fill``): an order on a symbol with no open position opens one
  at the fill price; on the same side it adds to the position; on the opposite side it reduces it
  at its average and realises PnL; crossing zero is two fills in the one booking: the first
  closes the old position (realising its PnL), the second opens the remainder as a new position at
  the fill price. So every position is always the signed sum of its own fills.
- Realised PnL arises in the quote currency and is converted to the account currency at the
  current mid rate (domain.conversion.rate, kept to 18 places), rounded half-even to the
  currency's minor unit,
  booked on the closing fill, added to the position's ``realized_pnl`` and booked as one
  ``realized_pnl`` ledger entry (none when it is exactly zero).
- Negative balance protection (on unless the rules turn it off): a booking that leaves the
  account with no open position and a negative balance also books a `negative_balance_reset`
  entry that brings the balance back to zero; the client never owes the broker.
- A booking is one transaction of the account: its transaction sequence number is the account's
  plus one, carried by the order, every fill, every changed position and every ledger entry, and
  every row is stamped with the same booking time.
- Every fill records the client quote it was priced from and the conversion rate of its PnL.
- Ids come from the caller (``IdSource``): the database allocates them, the domain decides how many.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

from domain.conversion import rate, round_money
from domain.errors import NoConversionRate
from domain.instruments import Instrument
from domain.margin import (
    MarginCheck,
    OrderAtPrice,
    assert_order_allowed,
    check_order,
    is_reducing,
    value_account,
)
from domain.positions import FillOutcome, Side, apply_fill
from domain.pricing import ClientQuote, fill_price
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
# A fill's conversion rate is kept to 18 decimal places (the column's scale); its PnL is
# converted at exactly that rate, so the booking can be recomputed from the fill alone.
RATE_QUANTUM = Decimal("1E-18")


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
class BookingRules:
    """The broker's settings a booking follows."""

    # A non-reducing client order must leave the account strictly above this margin level (%).
    pre_trade_min_level: Decimal = Decimal(100)
    # Reset a negative balance to zero once the account holds no position.
    negative_balance_protection: bool = True
    # A conversion rate used by a booking must be at most this old (the traded quote has the
    # symbol's own staleness limit).
    conversion_max_age_seconds: int = 300


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
    check: MarginCheck | None  # None for a reducing order: it is never refused for margin

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
    quote: ClientQuote
    conversion_rate: Decimal | None
    order_id: int
    txn_seq: int
    at: datetime


@dataclass(frozen=True)
class Market:
    """The prices a booking uses: the traded symbol's client quote, every known quote
    (symbol -> client bid, ask) and the conversion rates (symbol -> mid)."""

    quote: ClientQuote
    quotes: Mapping[str, tuple[Decimal, Decimal]]
    rates: Mapping[str, Decimal]


def book_fill(
    account: AccountState,
    held: Sequence[PositionRecord],
    ticket: OrderTicket,
    instrument: Instrument,
    market: Market,
    ids: IdSource,
    booked_at: datetime,
    rules: BookingRules,
    *,
    check_margin: bool,
) -> Booking:
    """Check margin, net the fill and return every row to write (the account is not changed)."""
    current = next((p for p in held if p.symbol == ticket.symbol), None)
    state = current.state if current else None
    price = fill_price(ticket.side, market.quote.bid, market.quote.ask)
    check = None
    if not is_reducing(state, ticket.side, ticket.lots):
        check = _margin_check(account, held, ticket, instrument, market, price, rules)
        if check_margin:
            assert_order_allowed(check)
    outcome = apply_fill(
        state, ticket.symbol, ticket.side, ticket.lots, price, instrument.contract_size
    )
    conversion = _conversion_rate(instrument, account.currency, market.rates, outcome.reduced)
    realized = _ZERO
    if outcome.reduced:
        assert conversion is not None  # _conversion_rate raises when a reducing fill has none
        realized = round_money(outcome.realized_pnl * conversion, account.currency)
    step = _Step(
        ticket, price, market.quote, conversion, ids.order_id(), account.txn_seq + 1, booked_at
    )
    fills, updated, opened = _net(step, current, outcome, realized, ids)
    still_open = [p for p in held if p is not current] + [
        p for p in (*updated, *opened) if p.status is PositionStatus.OPEN
    ]
    entries = _entries(step, account, fills, realized, not still_open, rules)
    balance = entries[-1].balance_after if entries else account.balance
    after = replace(account, balance=balance, txn_seq=step.txn_seq)
    return Booking(
        order=_order(step),
        fills=fills,
        updated=updated,
        opened=opened,
        entries=entries,
        account=after,
        summary=summarize_account(after, still_open, market.quotes, market.rates),
        check=check,
    )


def _margin_check(
    account: AccountState,
    held: Sequence[PositionRecord],
    ticket: OrderTicket,
    instrument: Instrument,
    market: Market,
    price: Decimal,
    rules: BookingRules,
) -> MarginCheck:
    """Return the account's margin right after an opening or increasing order."""
    current = next((p for p in held if p.symbol == ticket.symbol), None)
    before = value_account(
        account.balance, account.currency, account.leverage, open_positions_of(held),
        market.quotes, market.rates,
    )  # fmt: skip
    order = OrderAtPrice(ticket.side, ticket.lots, price, market.quote.bid, market.quote.ask)
    return check_order(
        before, instrument, current.state if current else None, order, account.leverage,
        market.rates, rules.pre_trade_min_level,
    )  # fmt: skip


def _conversion_rate(
    instrument: Instrument, currency: str, rates: Mapping[str, Decimal], needed: bool
) -> Decimal | None:
    """Return the quote -> account currency rate to RATE_QUANTUM (the rate a fill records and
    its PnL is converted at); raise only when a PnL must be converted."""
    try:
        found = rate(instrument.quote_currency, currency, rates)
    except NoConversionRate:
        if needed:
            raise
        return None
    return found.quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN).normalize()


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
        txn_seq=step.txn_seq, created_at=step.at, quote_bid=step.quote.bid,
        quote_ask=step.quote.ask, quote_at=step.quote.ts_event,
        conversion_rate=step.conversion_rate,
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
    step: _Step,
    account: AccountState,
    fills: Sequence[FillRecord],
    realized: Decimal,
    flat: bool,
    rules: BookingRules,
) -> tuple[LedgerDraft, ...]:
    """Return the ledger entries: the realised PnL on the closing fill, if not zero, and the
    reset of a negative balance left with nothing open (when protected)."""
    entries: list[LedgerDraft] = []
    balance = account.balance
    if realized != 0:
        closing = next(fill for fill in fills if fill.realized_pnl != 0)
        balance += realized
        entries.append(
            LedgerDraft(
                kind=LedgerKind.REALIZED_PNL,
                amount=realized,
                balance_after=balance,
                reference=f"fill:{closing.id}",
                reason=f"{step.ticket.reason.value} {step.ticket.symbol}",
            )
        )
    if flat and balance < 0 and rules.negative_balance_protection:
        entries.append(
            LedgerDraft(
                kind=LedgerKind.NEGATIVE_BALANCE_RESET,
                amount=-balance,
                balance_after=_ZERO,
                reference=f"order:{step.order_id}",
                reason="negative balance protection: nothing open, balance reset to zero",
            )
        )
    return tuple(entries)
