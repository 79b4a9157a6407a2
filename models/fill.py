"""Fills: what an order executed at. A position is the signed sum of its own fills."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.positions import Side
from models.base import LOTS, MONEY, PRICE, RATE, TIMESTAMP, Base, not_nan, side_enum, utcnow


class Fill(Base):
    """One execution of a market order at the server's price, in one position."""

    __tablename__ = "fills"
    __table_args__ = (
        CheckConstraint(f"lots > 0 AND {not_nan('lots')}", name="lots_positive"),
        CheckConstraint(f"price > 0 AND {not_nan('price')}", name="price_positive"),
        CheckConstraint(not_nan("realized_pnl"), name="realized_pnl_not_nan"),
        CheckConstraint(
            "quote_bid IS NULL OR (quote_bid > 0 AND quote_ask >= quote_bid"
            f" AND {not_nan('quote_bid')} AND {not_nan('quote_ask')})",
            name="quote_not_nan",
        ),
        Index("ix_fills_account_created", "account_id", "created_at"),
        Index("ix_fills_account_symbol", "account_id", "symbol"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # One fill per order, two when the order crossed zero (closing fill, then opening fill).
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True, nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), nullable=False)
    symbol: Mapped[str] = mapped_column(String(16), nullable=False)
    side: Mapped[Side] = mapped_column(side_enum(), nullable=False)
    lots: Mapped[Decimal] = mapped_column(LOTS, nullable=False)
    price: Mapped[Decimal] = mapped_column(PRICE, nullable=False)
    # Realised PnL of this fill, booked in the account currency (0 for an opening fill).
    realized_pnl: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), nullable=False)
    txn_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, default=utcnow, nullable=False)
    # The client quote the fill was priced from and the rate of its PnL into the account
    # currency (NULL on fills booked before they were recorded).
    quote_bid: Mapped[Decimal | None] = mapped_column(PRICE)
    quote_ask: Mapped[Decimal | None] = mapped_column(PRICE)
    quote_at: Mapped[datetime | None] = mapped_column(TIMESTAMP)
    conversion_rate: Mapped[Decimal | None] = mapped_column(RATE)
