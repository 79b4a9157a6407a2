"""Orders as booked. Only filled market orders are stored: a refused order changes nothing.

`client_order_id` is unique per account; `request_hash` is a digest of what the client asked
(symbol, side, lots, price bound), so a retry with the same id and body gets the original result
and the same id with a different body is a conflict.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.positions import Side
from domain.records import OrderReason
from models.base import LOTS, PRICE, TIMESTAMP, Base, not_nan, pg_enum, side_enum, utcnow


class Order(Base):
    """A market order and what the client asked of it."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("account_id", "client_order_id", name="uq_orders_account_client_order"),
        CheckConstraint(f"lots > 0 AND {not_nan('lots')}", name="lots_positive"),
        CheckConstraint(
            f"price_bound IS NULL OR (price_bound > 0 AND {not_nan('price_bound')})",
            name="price_bound_positive",
        ),
        Index("ix_orders_account_created", "account_id", "created_at"),
        Index("ix_orders_account_symbol_created", "account_id", "symbol", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    # A client's id (at most 64 characters) or, for the later orders of a close split into
    # several, that id with `:k` appended.
    client_order_id: Mapped[str | None] = mapped_column(String(80))
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    symbol: Mapped[str] = mapped_column(String(16), nullable=False)
    side: Mapped[Side] = mapped_column(side_enum(), nullable=False)
    lots: Mapped[Decimal] = mapped_column(LOTS, nullable=False)
    price_bound: Mapped[Decimal | None] = mapped_column(PRICE)
    reason: Mapped[OrderReason] = mapped_column(
        pg_enum(OrderReason, "order_reason"), nullable=False
    )
    status: Mapped[str] = mapped_column(String(16), default="filled", nullable=False)
    # The response given when the order was booked, replayed verbatim on a retry.
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    txn_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, default=utcnow, nullable=False)
