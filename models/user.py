"""Users: who can log in, with a role (trader or admin)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Enum, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin

if TYPE_CHECKING:
    from models.account import Account


class Role(enum.StrEnum):
    """What a user may do: trade their own account, or administer every account."""

    TRADER = "trader"
    ADMIN = "admin"


class User(TimestampMixin, Base):
    """A person who logs in. Usernames are stored lower-case, so they are unique ignoring case."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("username = lower(username)", name="username_lower"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", values_callable=lambda roles: [r.value for r in roles]),
        default=Role.TRADER,
        nullable=False,
    )
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)

    accounts: Mapped[list[Account]] = relationship(back_populates="user")
