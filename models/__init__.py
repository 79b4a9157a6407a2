"""SQLAlchemy 2.0 typed models, one module per aggregate: structure only, no business rules."""

from models.account import Account, AccountStatus
from models.base import Base, db
from models.user import Role, User

__all__ = ["Account", "AccountStatus", "Base", "Role", "User", "db"]
