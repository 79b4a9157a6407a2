"""What views hand to services: the caller's account, the collaborators, the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import Engine

from models import db
from services.booking import Collaborators, collaborators_from
from services.quotes import QuoteStore
from webapp.auth import principal
from webapp.errors import ApiError
from webapp.extensions import redis_store


def now() -> datetime:
    """Return the current time (aware UTC): the one clock of the web layer."""
    return datetime.now(UTC)


def current_account_id() -> int:
    """Return the authenticated user's account id (every query is scoped by it)."""
    account_id = principal().account_id
    if account_id is None:
        raise ApiError(404, "ACCOUNT_NOT_FOUND", "this user has no trading account")
    return account_id


def sql() -> Engine:
    """Return the app's database engine."""
    return db.engine


def quote_store() -> QuoteStore:
    """Return the quote store on this process's Redis connection."""
    return collaborators().quotes


def collaborators() -> Collaborators:
    """Return what a booking needs (built once per app)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found: Collaborators | None = app.extensions.get("collaborators")
    if found is None:
        found = collaborators_from(app.config, db.engine, redis_store.client)
        app.extensions["collaborators"] = found
    return found
