"""Opening accounts. (The ledger proper arrives with the trading core.)"""

from __future__ import annotations

from decimal import Decimal

from models import Account, User
from models.base import DbSession


def open_account(
    session: DbSession, user: User, currency: str, leverage: int, opening_balance: Decimal
) -> Account:
    """Add a trading account for the user (not committed: the caller's unit of work)."""
    account = Account(user=user, currency=currency, leverage=leverage, balance=Decimal("0"))
    session.add(account)
    session.flush()
    return account
