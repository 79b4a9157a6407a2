"""Netted positions: at most one open per (account, symbol); closed ones are kept as history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.positions import Side
from domain.records import PositionStatus
from models.base import LOTS, MONEY, PRICE, TIMESTAMP, Base, not_nan, pg_enum, side_enum, utcnow


class Position(Base):
    """A netted position: side, lots and the size-weighted average entry price."""

    __tablename__ = "positions"
    __table_args__ = (
        CheckConstraint(f"lots >= 0 AND {not_nan('lots')}", name="lots_non_negative"),
        CheckConstraint(f"avg_price > 0 AND {not_nan('avg_price')}", name="avg_price_positive"),
        CheckConstraint(not_nan("realized_pnl"), name="realized_pnl_not_nan"),
        CheckConstraint(
            "(status = 'open' AND lots > 0 AND closed_at IS NULL)"
            " OR (status = 'closed' AND closed_at IS NOT NULL)",
            name="open_or_closed",
        ),
        Index(
            "uq_positions_one_open_per_symbol",
            "account_id",
            "symbol",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_positions_account_status_closed", "account_id", "status", "closed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    symbol: Mapped[str] = mapped_column(String(16), nullable=False)
    side: Mapped[Side] = mapped_column(side_enum(), nullable=False)
    lots: Mapped[Decimal] = mapped_column(LOTS, nullable=False)
    # Lots when the position was largest: what a closed position's history shows.
    max_lots: Mapped[Decimal] = mapped_column(LOTS, nullable=False)
    avg_price: Mapped[Decimal] = mapped_column(PRICE, nullable=False)
    realized_pnl: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), nullable=False)
    status: Mapped[PositionStatus] = mapped_column(
        pg_enum(PositionStatus, "position_status"), default=PositionStatus.OPEN, nullable=False
    )
    close_price: Mapped[Decimal | None] = mapped_column(PRICE)
    close_reason: Mapped[str | None] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(TIMESTAMP, default=utcnow, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(TIMESTAMP)
    txn_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
