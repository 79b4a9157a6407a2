"""Registering users and checking their passwords.

Passwords are hashed with Argon2id (argon2-cffi's defaults). A login for an unknown user still
verifies against a dummy hash, so a wrong username and a wrong password cost the same time and
get the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Account, Role, User
from models.base import DbSession

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-equal-timing")

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128


class UsernameTaken(Exception):
    """Another user already has this username."""


class WeakPassword(Exception):
    """The password does not meet the policy."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AccountDefaults:
    """What a new account starts with."""

    currency: str
    leverage: int
    demo_balance: Decimal


def normalise_username(username: str) -> str:
    """Return the stored form of a username (trimmed, lower-case)."""
    return username.strip().lower()


def check_password_policy(username: str, password: str) -> None:
    """Raise WeakPassword unless the password is long enough, mixed, and not the username."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(f"password must be at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(f"password must be at most {PASSWORD_MAX_LENGTH} characters")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[^A-Za-z]", password)):
        raise WeakPassword("password must contain a letter and a digit or symbol")
    if normalise_username(username) in password.lower():
        raise WeakPassword("password must not contain the username")


def hash_password(password: str) -> str:
    """Return the Argon2id hash of a password."""
    return _hasher.hash(password)


def register_user(
    session: DbSession,
    username: str,
    password: str,
    defaults: AccountDefaults,
    role: Role = Role.TRADER,
) -> User:
    """Create a user with a trading account, in one transaction; commit."""
    from services.ledger import open_account  # the ledger books the opening deposit

    username = normalise_username(username)
    check_password_policy(username, password)
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise UsernameTaken(username) from exc
    open_account(session, user, defaults.currency, defaults.leverage, defaults.demo_balance)
    session.commit()
    return user


def authenticate(session: DbSession, username: str, password: str) -> User | None:
    """Return the active user with this username and password, or None (same cost either way)."""
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    return user


def primary_account(session: DbSession, user_id: int) -> Account | None:
    """Return the user's trading account (one per user for now)."""
    return session.scalar(select(Account).where(Account.user_id == user_id).order_by(Account.id))


@dataclass(frozen=True)
class UserRecord:
    """A user and their trading account."""

    id: int
    username: str
    role: Role
    account_id: int | None
    created_at: datetime


def user_record(session: DbSession, user_id: int) -> UserRecord | None:
    """Return the user with their account id, or None."""
    user = session.get(User, user_id)
    if user is None:
        return None
    account = primary_account(session, user.id)
    return UserRecord(
        user.id, user.username, user.role, account.id if account else None, user.created_at
    )


def set_active(session: DbSession, user_id: int, active: bool) -> bool:
    """Activate or deactivate a user; commit. Return False when there is no such user."""
    user = session.get(User, user_id)
    if user is None:
        return False
    user.is_active = active
    session.commit()
    return True
