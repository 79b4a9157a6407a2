"""Who is signed in to the back office: a session cookie naming a server-side session in Redis.

The signed cookie carries only a random session id; Redis maps it to the admin's user id until
PERMANENT_SESSION_LIFETIME runs out or they sign out (the key is deleted, so a copied cookie stops
working too). Every request re-reads the user: only an active admin is signed in. Login attempts
count against the API's login limits (per address and per username), so the back office is no
way around them.
"""

from __future__ import annotations

import secrets

from flask import current_app, g, session
from flask_limiter.util import get_remote_address
from limits import parse

from models import Role, User, db
from services.users import normalise_username
from webapp.extensions import limiter, redis_store

SESSION_PREFIX = "backoffice:session:"
SID = "backoffice_sid"


def sign_in(user: User) -> None:
    """Start a new session for an admin (a fresh cookie: nothing of the old one survives)."""
    sid = secrets.token_urlsafe(32)
    lifetime = current_app.permanent_session_lifetime
    redis_store.client.set(SESSION_PREFIX + sid, str(user.id), ex=lifetime)
    session.clear()
    session.permanent = True
    session[SID] = sid
    g.backoffice_admin = user


def sign_out() -> None:
    """End the session here and in Redis."""
    sid = session.get(SID)
    if isinstance(sid, str):
        redis_store.client.delete(SESSION_PREFIX + sid)
    session.clear()
    g.backoffice_admin = None


def current_admin() -> User | None:
    """Return the signed-in admin, or None (read once per request)."""
    if "backoffice_admin" not in g:
        g.backoffice_admin = _load_admin()
    admin: User | None = g.backoffice_admin
    return admin


def _load_admin() -> User | None:
    sid = session.get(SID)
    if not isinstance(sid, str):
        return None
    user_id = redis_store.client.get(SESSION_PREFIX + sid)
    user = db.session.get(User, int(user_id)) if user_id is not None else None
    if user is None or not user.is_active or user.role != Role.ADMIN:
        return None
    return user


def may_try_login(username: str) -> bool:
    """Count a login attempt; return False once the address or the username is over its limit."""
    config = current_app.config
    attempts = (
        ("LOGIN_RATE_LIMIT_PER_IP", f"ip:{get_remote_address()}"),
        ("LOGIN_RATE_LIMIT_PER_USERNAME", f"user:{normalise_username(username)}"),
    )
    return all(
        limiter.limiter.hit(parse(config[setting]), "backoffice-login", key)
        for setting, key in attempts
    )
