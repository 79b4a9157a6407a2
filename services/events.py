"""The typed events services publish after a commit (their bodies: schemas/events.py).

Every account event carries the account id and `seq`, the account's transaction sequence number
after the change (or, for a valuation, the one it was valued at).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from domain.records import AccountSummary, FillRecord, LedgerRecord, OrderRecord, PositionRecord
from domain.risk import MarginState
from schemas import events as kinds


@dataclass(frozen=True)
class AccountEvent:
    """An event about one account."""

    kind: ClassVar[str]
    account_id: int
    seq: int


@dataclass(frozen=True)
class OrderFilled(AccountEvent):
    kind: ClassVar[str] = kinds.ORDER_FILLED
    order: OrderRecord
    fills: tuple[FillRecord, ...]

    @property
    def fill(self) -> FillRecord:
        """Return the last fill of the order."""
        return self.fills[-1]


@dataclass(frozen=True)
class PositionChanged(AccountEvent):
    kind: ClassVar[str] = kinds.POSITION_CHANGED
    position: PositionRecord


@dataclass(frozen=True)
class AccountUpdated(AccountEvent):
    kind: ClassVar[str] = kinds.ACCOUNT_UPDATED
    account: AccountSummary
    ledger_entry: LedgerRecord | None = None


@dataclass(frozen=True)
class AccountValued(AccountEvent):
    """A live valuation (the engine's floats, rounded to the cent: display only)."""

    kind: ClassVar[str] = kinds.ACCOUNT_VALUED
    currency: str
    balance: Decimal
    equity: Decimal
    unrealized_pnl: Decimal
    used_margin: Decimal
    free_margin: Decimal
    margin_level: Decimal | None
    margin_state: MarginState


@dataclass(frozen=True)
class MarginCalled(AccountValued):
    kind: ClassVar[str] = kinds.MARGIN_CALL
    margin_call_level: Decimal = Decimal(100)
    stop_out_level: Decimal = Decimal(50)


@dataclass(frozen=True)
class StoppedOut(AccountEvent):
    kind: ClassVar[str] = kinds.STOP_OUT
    position: PositionRecord
    fill: FillRecord
    margin_level: Decimal | None
