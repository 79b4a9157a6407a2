"""SQLAlchemy 2.0 typed models, one module per aggregate: structure only, no business rules."""

from models.account import Account, AccountStatus
from models.base import Base, DbSession, db
from models.fill import Fill
from models.ledger import LedgerEntry, LedgerKind
from models.order import Order, OrderReason, OrderSide
from models.position import Position, PositionStatus
from models.user import Role, User

__all__ = [
    "Account",
    "AccountStatus",
    "Base",
    "DbSession",
    "Fill",
    "LedgerEntry",
    "LedgerKind",
    "Order",
    "OrderReason",
    "OrderSide",
    "Position",
    "PositionStatus",
    "Role",
    "User",
    "db",
]
