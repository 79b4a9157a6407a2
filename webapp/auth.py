"""JWT wiring: the principal in the token, the per-request access check, errors and roles.

Tokens carry the user id as `sub` and, as claims, the role and the trading account id, so a
request needs no database read to know whose account it acts on. Every request with a token is
checked in one Redis round trip (services.access): the token must not be revoked and its user
must not be deactivated (a set rebuilt from PostgreSQL whenever Redis lost it). Admin routes
re-read the role from the database: a demoted admin's token stops working for them at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app
from flask_jwt_extended import current_user, jwt_required
from sqlalchemy import select

from models import Role, User, db
from services.access import AccessCheck
from webapp.errors import ApiError, error_response
from webapp.extensions import jwt, redis_store

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """Who a token speaks for: the user, their role and their trading account."""

    user_id: int
    role: Role
    account_id: int | None


@jwt.user_identity_loader
def _identity(principal: Principal) -> str:
    return str(principal.user_id)


@jwt.additional_claims_loader
def _claims(principal: Principal) -> dict[str, Any]:
    return {"role": principal.role.value, "account_id": principal.account_id}


@jwt.user_lookup_loader
def _principal(_header: dict[str, Any], payload: dict[str, Any]) -> Principal | None:
    if "role" not in payload or "account_id" not in payload:
        return None  # a token from before account ids were claims
    return Principal(int(payload["sub"]), Role(payload["role"]), payload["account_id"])


def access_check() -> AccessCheck:
    """Return the app's access check (one per app)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    check: AccessCheck | None = app.extensions.get("access_check")
    if check is None:
        check = AccessCheck(redis_store.client, _deactivated_users(app))
        app.extensions["access_check"] = check
    return check


def _deactivated_users(app: Flask) -> Callable[[], list[int]]:
    def load() -> list[int]:
        with app.app_context():
            ids = list(db.session.scalars(select(User.id).where(User.is_active.is_(False))))
            db.session.rollback()
            return ids

    return load


@jwt.token_in_blocklist_loader
def _refused(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
    return access_check().refused(payload["jti"], int(payload["sub"]))


def _unauthorized(error_code: str, message: str) -> Response:
    response = error_response(401, message, error_code)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def register_jwt_callbacks(app: Flask) -> None:
    """Answer every token failure with 401 in the one error shape."""
    jwt.unauthorized_loader(lambda reason: _unauthorized("TOKEN_MISSING", reason))
    jwt.invalid_token_loader(lambda reason: _unauthorized("TOKEN_INVALID", reason))
    jwt.expired_token_loader(lambda _h, _p: _unauthorized("TOKEN_EXPIRED", "token has expired"))
    jwt.revoked_token_loader(
        lambda _h, _p: _unauthorized("TOKEN_REVOKED", "token was revoked or its user deactivated")
    )
    jwt.user_lookup_error_loader(
        lambda _h, _p: _unauthorized("TOKEN_INVALID", "the token does not name a user; log in")
    )
    jwt.needs_fresh_token_loader(lambda _h, _p: _unauthorized("TOKEN_NOT_FRESH", "log in again"))
    app.config.setdefault("PROPAGATE_EXCEPTIONS", False)


def principal() -> Principal:
    """Return the authenticated principal (inside a jwt_required view)."""
    found: Principal = current_user
    return found


def admin_required(view: F) -> F:
    """Require a valid access token of a user whose role in the database is admin (403)."""

    @wraps(view)
    @jwt_required()
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        role = db.session.scalar(select(User.role).where(User.id == principal().user_id))
        if role != Role.ADMIN:
            raise ApiError(403, "FORBIDDEN", "this action needs the admin role")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
