"""What is booked: accounts, orders, fills, positions and ledger entries as immutable records.

Services return these records (never API dictionaries) and the schemas in ``schemas/`` show them.
The enums here are the trading vocabulary the database stores; ``Side`` lives with the netting
rules in ``domain.positions``.

Policy:
- An ``AccountSummary`` is the booked figures of an account (balance, currency, leverage, status,
  transaction sequence) with its live valuation at current prices. A figure that cannot be valued
  (a held symbol without a quote, a missing conversion rate) is None, and ``valuation_error``
  says why: nothing is ever valued at a guessed price.
- A ``ValuedPosition`` is an open position with its current closing price, unrealised PnL and used
  margin in the account currency (each None when it cannot be valued).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.positions import PositionState, Side


class AccountStatus(StrEnum):
    """Whether the account may open new exposure (a disabled one may still close)."""

    ACTIVE = "active"
    DISABLED = "disabled"


class OrderReason(StrEnum):
    """Who or what placed an order."""

    CLIENT = "client"
    CLOSE = "close"
    STOP_OUT = "stop_out"


class OrderStatus(StrEnum):
    """Where an order stands. Market orders are stored only once filled."""

    FILLED = "filled"


class PositionStatus(StrEnum):
    """Open positions carry exposure; closed ones are history."""

    OPEN = "open"
    CLOSED = "closed"


class LedgerKind(StrEnum):
    """Why a balance changed."""

    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    ADJUSTMENT = "adjustment"
    REALIZED_PNL = "realized_pnl"
    COMMISSION = "commission"
    SWAP = "swap"
    NEGATIVE_BALANCE_RESET = "negative_balance_reset"


@dataclass(frozen=True)
class AccountState:
    """An account as booked: what a booking reads and changes."""

    id: int
    currency: str
    balance: Decimal
    leverage: int
    status: AccountStatus
    txn_seq: int


@dataclass(frozen=True)
class AccountSummary:
    """An account's booked figures and its live valuation (None where it cannot be valued)."""

    id: int
    currency: str
    balance: Decimal
    leverage: int
    status: AccountStatus
    txn_seq: int
    equity: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    used_margin: Decimal | None = None
    free_margin: Decimal | None = None
    margin_level: Decimal | None = None
    valuation_error: str | None = None


@dataclass(frozen=True)
class OrderRecord:
    """An order as booked."""

    id: int
    client_order_id: str | None
    symbol: str
    side: Side
    lots: Decimal
    price_bound: Decimal | None
    reason: OrderReason
    status: OrderStatus
    txn_seq: int
    created_at: datetime


@dataclass(frozen=True)
class FillRecord:
    """One execution of an order; ``realized_pnl`` is in the account currency.

    For audit, a fill records the client quote it was priced from (bid, ask, the market's time)
    and the rate that converted its quote currency into the account currency (None on fills
    booked before fills recorded them, or when no rate was needed and none was known).
    """

    id: int
    order_id: int
    position_id: int
    symbol: str
    side: Side
    lots: Decimal
    price: Decimal
    realized_pnl: Decimal
    txn_seq: int
    created_at: datetime
    quote_bid: Decimal | None = None
    quote_ask: Decimal | None = None
    quote_at: datetime | None = None
    conversion_rate: Decimal | None = None


@dataclass(frozen=True)
class PositionRecord:
    """A netted position as booked; ``realized_pnl`` sums its fills' in the account currency."""

    id: int
    symbol: str
    side: Side
    lots: Decimal
    max_lots: Decimal
    avg_price: Decimal
    realized_pnl: Decimal
    status: PositionStatus
    opened_at: datetime
    closed_at: datetime | None
    close_price: Decimal | None
    close_reason: str | None
    txn_seq: int

    @property
    def state(self) -> PositionState:
        """Return the netting state of the position (flat once closed)."""
        lots = self.lots if self.status is PositionStatus.OPEN else Decimal(0)
        return PositionState.of(self.symbol, self.side, lots, self.avg_price)


@dataclass(frozen=True)
class ValuedPosition(PositionRecord):
    """An open position with its live figures (None when it cannot be valued now)."""

    current_price: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    used_margin: Decimal | None = None

    @classmethod
    def of(
        cls,
        position: PositionRecord,
        current_price: Decimal | None,
        unrealized_pnl: Decimal | None,
        used_margin: Decimal | None,
    ) -> ValuedPosition:
        """Return the position with its live figures."""
        return cls(
            **_fields_of(position),
            current_price=current_price,
            unrealized_pnl=unrealized_pnl,
            used_margin=used_margin,
        )


@dataclass(frozen=True)
class LedgerRecord:
    """One booked change of balance, with the balance after it."""

    id: int
    account_id: int
    kind: LedgerKind
    amount: Decimal
    balance_after: Decimal
    reference: str
    reason: str
    txn_seq: int
    created_at: datetime


def _fields_of(record: Any) -> dict[str, Any]:
    return {field.name: getattr(record, field.name) for field in fields(record)}
