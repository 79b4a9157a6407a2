"""SQLAlchemy 2.0 typed models, one module per aggregate: structure only, no business rules.

The enums the columns store (sides, statuses, reasons, ledger kinds) are the domain's
(``domain.positions.Side``, ``domain.records``).
"""

from models.account import Account
from models.base import Base, DbSession, db
from models.fill import Fill
from models.idempotency import IdempotentRequest
from models.ledger import LedgerEntry
from models.order import Order
from models.position import Position
from models.user import Role, User

__all__ = [
    "Account",
    "Base",
    "DbSession",
    "Fill",
    "IdempotentRequest",
    "LedgerEntry",
    "Order",
    "Position",
    "Role",
    "User",
    "db",
]
