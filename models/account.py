"""Trading accounts: the balance, its currency and leverage, and the transaction sequence.

`txn_seq` grows by one for every transaction booked on the account (an order with its fills and
ledger entries, a deposit...); every order, fill and ledger entry records the value it took, so a
client that has seen N can ask for what came after N. Every booking updates the row only if
`txn_seq` is still the one it read (services.booking: optimistic concurrency). The balance
equals the sum of the account's ledger entries, always.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.records import AccountStatus
from models.base import MONEY, Base, TimestampMixin, not_nan, pg_enum

if TYPE_CHECKING:
    from models.user import User


class Account(TimestampMixin, Base):
    """One trading account; a user gets one when they register."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(not_nan("balance"), name="balance_not_nan"),
        CheckConstraint("leverage BETWEEN 1 AND 1000", name="leverage_range"),
        CheckConstraint("txn_seq >= 0", name="txn_seq_non_negative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    balance: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"), nullable=False)
    leverage: Mapped[int] = mapped_column(nullable=False)
    status: Mapped[AccountStatus] = mapped_column(
        pg_enum(AccountStatus, "account_status"), default=AccountStatus.ACTIVE, nullable=False
    )
    txn_seq: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)

    user: Mapped[User] = relationship(back_populates="accounts")
