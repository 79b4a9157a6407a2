"""What views hand to services: the caller's account, the quote store, the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask_jwt_extended import current_user

from models import Account, db
from services.kv import redis_store
from services.orders import Collaborators
from services.quotes import QuoteStore
from services.users import primary_account
from webapp.errors import ApiError


def now() -> datetime:
    """Return the current time (aware UTC): the one clock of the web layer."""
    return datetime.now(UTC)


def current_account() -> Account:
    """Return the authenticated user's account (every query is scoped by it)."""
    account = primary_account(db.session, current_user.id)
    if account is None:
        raise ApiError(404, "ACCOUNT_NOT_FOUND", "this user has no trading account")
    return account


def quote_store() -> QuoteStore:
    """Return the quote store on this process's Redis connection."""
    return QuoteStore(redis_store.client)


def collaborators() -> Collaborators:
    """Return what an order needs besides the session."""
    return Collaborators(
        quotes=quote_store(),
        publisher=redis_store.client,
        enforce_sessions=current_app.config["ENFORCE_MARKET_HOURS"],
    )
