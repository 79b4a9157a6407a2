"""Market orders: what a client (or the system) asks for, booked through the one booking path.

A market order names its symbol, side and lots; it fills at the server's price (BUY at the
client ask, SELL at the client bid) or is refused, never filled past its optional `price_bound`.
Its margin is checked when a client places it (reducing orders always pass); see
services.booking for the unit of work and domain.booking for the netting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.booking import OrderTicket
from domain.positions import Side
from domain.records import OrderReason
from services.book_store import AccountBook
from services.booking import Collaborators, OrderResult, book, request_digest


@dataclass(frozen=True)
class OrderRequest:
    """A market order for an account."""

    account_id: int
    symbol: str
    side: Side
    lots: Decimal
    client_order_id: str | None = None
    price_bound: Decimal | None = None
    reason: OrderReason = OrderReason.CLIENT

    @property
    def may_open(self) -> bool:
        """Return True: a market order may open a position."""
        return True

    def digest(self) -> str:
        """Return a digest of the fields that define the order (for idempotent retries)."""
        return request_digest(self.symbol, self.side.value, self.lots, self.price_bound)

    def resolve(self, book: AccountBook) -> OrderTicket:
        """Return the order as a ticket (it does not depend on the account's positions)."""
        return OrderTicket(
            self.symbol, self.side, self.lots, self.reason, self.client_order_id, self.price_bound
        )


def place_market_order(deps: Collaborators, request: OrderRequest, now: datetime) -> OrderResult:
    """Book a market order at the server's price; return the result (or the stored one)."""
    return book(deps, request, now)
