"""Opening accounts and booking ledger entries.

Every change of balance is one ledger entry, written in the same transaction as the balance
update, with the balance after it and the account's next transaction sequence number. Invariant:
balance = sum of the account's ledger entries.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from domain.records import LedgerKind
from models import Account, LedgerEntry, User
from models.base import DbSession, utcnow


def next_txn(account: Account) -> int:
    """Advance the (locked) account's transaction sequence number and return it."""
    account.txn_seq += 1
    return account.txn_seq


def book(
    session: DbSession,
    account: Account,
    kind: LedgerKind,
    amount: Decimal,
    reference: str,
    reason: str,
    txn_seq: int | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Change the (locked) account's balance by `amount` and record it; not committed."""
    account.balance += amount
    entry = LedgerEntry(
        account_id=account.id,
        kind=kind,
        amount=amount,
        balance_after=account.balance,
        reference=reference,
        reason=reason,
        txn_seq=txn_seq if txn_seq is not None else next_txn(account),
        created_at=now or utcnow(),
    )
    session.add(entry)
    return entry


def open_account(
    session: DbSession, user: User, currency: str, leverage: int, opening_balance: Decimal
) -> Account:
    """Add a trading account for the user, with its opening deposit if any; not committed."""
    account = Account(user=user, currency=currency, leverage=leverage, balance=Decimal(0))
    session.add(account)
    session.flush()
    if opening_balance > 0:
        book(session, account, LedgerKind.DEPOSIT, opening_balance, "signup", "demo balance")
    return account
