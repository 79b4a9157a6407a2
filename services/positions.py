"""Closing positions, and open positions valued at live prices.

Policy:
- A close is a reducing market order on the opposite side, booked through the one booking path
  (services.booking): it fills at the server's price (closing a long sells at the bid, a short
  buys at the ask), books the realised PnL in the ledger and carries its reason (`close` unless
  the caller says otherwise, e.g. `stop_out`). It is resolved against the position as booked when
  it is booked, so it never closes more than is held and never flips the position.
- `lots` None closes the whole position; more lots than it holds is InvalidLots. A close larger
  than the instrument's largest order (whole or explicit) is booked as several orders of at most
  that size on the same position, one after the other; the last order's result is returned. If
  the position shrinks meanwhile (another order), the remaining orders close what is left.
- Idempotency: a close with a `client_order_id` is booked under it like an order, and a retry
  returns the first result; the later orders of a split close are booked under `ID:1`, `ID:2`,
  ..., so a retry after a failure half-way replays what was booked and books only the rest.
- Live valuation: longs at the client bid, shorts at the client ask (domain.valuation); a position
  that cannot be valued now shows null live figures rather than a guessed price.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine

from domain.booking import OrderTicket
from domain.errors import InvalidLots, PositionNotFound
from domain.instruments import get_instrument
from domain.records import AccountSummary, OrderReason, PositionRecord, ValuedPosition
from domain.valuation import summarize_account, value_position
from services.book_store import AccountBook, read_current
from services.booking import AccountNotFound, Collaborators, OrderResult, book, request_digest
from services.quotes import Market, QuoteStore, symbols_to_value

_ZERO = Decimal(0)


class AccountChanged(Exception):
    """The account is no longer as it was when the close was decided (a stop out decides again)."""


@dataclass(frozen=True)
class CloseRequest:
    """Close an account's position (named by symbol or by id): all of it, or `lots`."""

    account_id: int
    position_symbol: str | None = None
    position_id: int | None = None
    lots: Decimal | None = None
    reason: OrderReason = OrderReason.CLOSE
    client_order_id: str | None = None
    # Continuing a close split into several orders: close at most what is still held.
    up_to_held: bool = False
    # Book only if the account's transaction sequence is still this one (a decision's premise).
    if_txn_seq: int | None = None

    @property
    def symbol(self) -> str | None:
        """Return the symbol when the position is named by it."""
        return self.position_symbol

    @property
    def may_open(self) -> bool:
        """Return False: a close never opens a position."""
        return False

    def digest(self) -> str:
        """Return a digest of what defines the close (for idempotent retries)."""
        return request_digest("close", self.position_symbol, self.position_id, self.lots)

    def resolve(self, book: AccountBook) -> OrderTicket:
        """Return the reducing order for the position as booked now (at most max_lots)."""
        if self.if_txn_seq is not None and book.account.txn_seq != self.if_txn_seq:
            raise AccountChanged(self.account_id)
        held = self._position(book)
        lots = held.lots if self.lots is None else self.lots
        if lots > held.lots:
            if not self.up_to_held:
                raise InvalidLots(lots, f"more than the {held.lots} lots held")
            lots = held.lots
        chunk = min(lots, get_instrument(held.symbol).max_lots)
        side = held.side.opposite
        return OrderTicket(held.symbol, side, chunk, self.reason, self.client_order_id)

    def _position(self, book: AccountBook) -> PositionRecord:
        for position in book.positions:
            if position.id == self.position_id or position.symbol == self.position_symbol:
                return position
        raise PositionNotFound(self.position_symbol or f"position id {self.position_id}")


def close_position(
    deps: Collaborators,
    account_id: int,
    symbol: str,
    lots: Decimal | None,
    now: datetime,
    reason: OrderReason = OrderReason.CLOSE,
    client_order_id: str | None = None,
) -> OrderResult:
    """Close all (lots None) or part of the account's open position in a symbol."""
    get_instrument(symbol)
    first = CloseRequest(
        account_id, position_symbol=symbol, lots=lots, reason=reason,
        client_order_id=client_order_id,
    )  # fmt: skip
    return _close(deps, first, now)


def close_position_by_id(
    deps: Collaborators,
    account_id: int,
    position_id: int,
    now: datetime,
    reason: OrderReason = OrderReason.CLOSE,
    client_order_id: str | None = None,
) -> OrderResult:
    """Close the whole open position with this id, if it is the account's."""
    first = CloseRequest(
        account_id, position_id=position_id, reason=reason, client_order_id=client_order_id
    )
    return _close(deps, first, now)


def _close(deps: Collaborators, first: CloseRequest, now: datetime) -> OrderResult:
    """Book the close, in several orders when it is larger than the largest order."""
    result = book(deps, first, now)
    booked = sum((fill.lots for fill in result.fills), _ZERO)
    for part in itertools.count(1):
        if not _more_to_close(first.lots, booked, result.position):
            break
        remaining = None if first.lots is None else first.lots - booked
        again = CloseRequest(
            first.account_id, position_id=result.position.id, lots=remaining,
            reason=first.reason, up_to_held=True,
            client_order_id=None if first.client_order_id is None
            else f"{first.client_order_id}:{part}",
        )  # fmt: skip
        try:
            result = book(deps, again, now)
        except PositionNotFound:
            break  # closed meanwhile by another order
        booked += sum((fill.lots for fill in result.fills), _ZERO)
    return result


def _more_to_close(asked: Decimal | None, booked: Decimal, position: PositionRecord) -> bool:
    if position.lots == 0:
        return False
    return asked is None or booked < asked


@dataclass(frozen=True)
class AccountSnapshot:
    """An account and its open positions valued at one set of prices, with its sequence."""

    account: AccountSummary
    positions: list[ValuedPosition]

    @property
    def seq(self) -> int:
        """Return the account's transaction sequence number at the snapshot."""
        return self.account.txn_seq


def snapshot(sql: Engine, store: QuoteStore, account_id: int) -> AccountSnapshot:
    """Read the account and its open positions and value them at the current quotes."""
    book_ = read_current(sql, account_id)
    if book_ is None:
        raise AccountNotFound(account_id)
    held = book_.positions
    account = book_.account
    market = Market.load(store, symbols_to_value([p.symbol for p in held], account.currency))
    quotes, rates = market.bid_ask(), market.rates
    return AccountSnapshot(
        summarize_account(account, held, quotes, rates),
        [value_position(p, account, quotes, rates) for p in held],
    )


def valued_position(sql: Engine, store: QuoteStore, account_id: int, symbol: str) -> ValuedPosition:
    """Return the account's open position in a symbol valued live; PositionNotFound if none."""
    for position in snapshot(sql, store, account_id).positions:
        if position.symbol == symbol:
            return position
    raise PositionNotFound(symbol)
