"""JWT wiring: identity, the Redis blocklist, the error callbacks, and role checks.

Tokens carry the user id as `sub` and the role as a claim. Every request with a token checks the
blocklist in Redis (logout revokes) and that the user still exists and is active.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response
from flask_jwt_extended import current_user, jwt_required

from models import Role, User, db
from services import tokens
from services.kv import redis_store
from webapp.errors import ApiError, error_response
from webapp.extensions import jwt

F = TypeVar("F", bound=Callable[..., Any])


@jwt.user_identity_loader
def _identity(user: User) -> str:
    return str(user.id)


@jwt.additional_claims_loader
def _claims(user: User) -> dict[str, str]:
    return {"role": user.role.value}


@jwt.user_lookup_loader
def _load_user(_header: dict[str, Any], payload: dict[str, Any]) -> User | None:
    user = db.session.get(User, int(payload["sub"]))
    return user if user is not None and user.is_active else None


@jwt.token_in_blocklist_loader
def _is_revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
    return tokens.is_revoked(redis_store.client, payload["jti"])


def _unauthorized(error_code: str, message: str) -> Response:
    response = error_response(401, message, error_code)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def register_jwt_callbacks(app: Flask) -> None:
    """Answer every token failure with 401 in the one error shape."""
    jwt.unauthorized_loader(lambda reason: _unauthorized("TOKEN_MISSING", reason))
    jwt.invalid_token_loader(lambda reason: _unauthorized("TOKEN_INVALID", reason))
    jwt.expired_token_loader(lambda _h, _p: _unauthorized("TOKEN_EXPIRED", "token has expired"))
    jwt.revoked_token_loader(lambda _h, _p: _unauthorized("TOKEN_REVOKED", "token was revoked"))
    jwt.user_lookup_error_loader(
        lambda _h, _p: _unauthorized("TOKEN_INVALID", "the token's user does not exist")
    )
    jwt.needs_fresh_token_loader(lambda _h, _p: _unauthorized("TOKEN_NOT_FRESH", "log in again"))
    app.config.setdefault("PROPAGATE_EXCEPTIONS", False)


def admin_required(view: F) -> F:
    """Require a valid access token of a user with the admin role (403 otherwise)."""

    @wraps(view)
    @jwt_required()
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.role != Role.ADMIN:
            raise ApiError(403, "FORBIDDEN", "this action needs the admin role")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
