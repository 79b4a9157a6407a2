"""The ledger: every change of an account's balance, with the balance after it.

Invariant: an account's balance equals the sum of its ledger entries' amounts. Entries are never
updated or deleted (maintenance keeps them forever).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.records import LedgerKind
from models.base import MONEY, TIMESTAMP, Base, not_nan, pg_enum, utcnow


class LedgerEntry(Base):
    """One booked change of balance."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(f"amount <> 0 AND {not_nan('amount')}", name="amount_non_zero"),
        CheckConstraint(not_nan("balance_after"), name="balance_after_not_nan"),
        CheckConstraint(
            "(kind <> 'deposit' OR amount > 0) AND (kind <> 'withdrawal' OR amount < 0)",
            name="deposit_positive_withdrawal_negative",
        ),
        # A transaction may book several entries (realised PnL, then a negative balance reset).
        Index("ix_ledger_account_txn", "account_id", "txn_seq"),
        Index("ix_ledger_account_created", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    kind: Mapped[LedgerKind] = mapped_column(pg_enum(LedgerKind, "ledger_kind"), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    balance_after: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    # What caused it: "fill:123", "admin:7", "signup"...
    reference: Mapped[str] = mapped_column(String(64), nullable=False)
    reason: Mapped[str] = mapped_column(String(255), nullable=False)
    txn_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, default=utcnow, nullable=False)
