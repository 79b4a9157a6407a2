"""The declarative base, the Flask-SQLAlchemy handle and the column types every model shares.

Money and prices are NUMERIC with a fixed scale per kind (never float):
- MONEY: NUMERIC(20, 2) — balances, ledger amounts, realised PnL, in the account currency;
- PRICE: NUMERIC(20, 10) — fill prices and average prices (10 places hold a weighted average);
- LOTS: NUMERIC(12, 2) — order and position sizes;
- RATE: NUMERIC(30, 18) — a conversion rate, as computed (a cross rate has many places).
PostgreSQL's NUMERIC accepts 'NaN' even under CHECK (x > 0), so every numeric column that must be
a number carries a CHECK (x <> 'NaN') as well.
"""

from __future__ import annotations

import enum
import time
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Engine, Enum, MetaData, Numeric, event, func
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, scoped_session

from domain.positions import Side

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY = Numeric(20, 2, asdecimal=True)
PRICE = Numeric(20, 10, asdecimal=True)
LOTS = Numeric(12, 2, asdecimal=True)
RATE = Numeric(30, 18, asdecimal=True)
# Every timestamp is aware UTC (`timestamptz`); columns are named *_at.
TIMESTAMP = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# What a service receives: a plain Session, or Flask-SQLAlchemy's scoped db.session.
DbSession = Session | scoped_session[Any]


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout only if it sat idle longer than `idle_seconds`.

    SQLAlchemy's `pool_pre_ping` pings at every checkout: one extra round trip per request.
    A connection in steady use is known to be alive; one that sat idle may have been cut by a
    database restart, and is then replaced before the request uses it (DisconnectionError
    makes the pool reconnect). A database that dies while connections are in use fails those
    requests once; the pool then invalidates its older connections.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure of the ping means: reconnect
            raise DisconnectionError("idle connection lost") from exc


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


class TimestampMixin:
    """A server-set creation time."""

    created_at: Mapped[datetime] = mapped_column(
        TIMESTAMP, server_default=func.now(), nullable=False
    )


def pg_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """Return a PostgreSQL enum type storing the members' values (e.g. 'open', not 'OPEN')."""
    return Enum(enum_class, name=name, values_callable=lambda members: [m.value for m in members])


def side_enum() -> Enum:
    """Return the shared PostgreSQL enum type of sides (BUY, SELL)."""
    return pg_enum(Side, "order_side")


def not_nan(column: str) -> str:
    """Return a CHECK expression that refuses NaN in a NUMERIC column."""
    return f"{column} <> 'NaN'::numeric"
