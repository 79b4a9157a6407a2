"""Results of money-moving requests that came with an idempotency key, kept to replay them.

A request sent again with the same key (by the same actor, for the same kind of operation) gets
the stored result instead of being booked twice; the same key with another request body is
refused. The row is written in the same transaction as the money it records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import TIMESTAMP, Base, utcnow


class IdempotentRequest(Base):
    """One keyed request: who sent it, what it asked (digest) and what it answered."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (
        UniqueConstraint("operation", "actor_id", "key", name="uq_idempotent_requests_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    operation: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    key: Mapped[str] = mapped_column(String(128), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, default=utcnow, nullable=False)
