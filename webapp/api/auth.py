"""Registration, login, token refresh, logout and the current user."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    current_user,
    decode_token,
    get_jwt,
    jwt_required,
)
from jwt import PyJWTError

from models import db
from services import tokens, users
from services.kv import redis_store
from webapp.api.base import Blueprint
from webapp.errors import ApiError
from webapp.extensions import limiter, username_key
from webapp.schemas.auth import (
    AccessTokenSchema,
    LoginSchema,
    LogoutSchema,
    RegisterSchema,
    TokenPairSchema,
    UserSchema,
)

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Users and tokens")


def _user_body(user: users.User) -> dict[str, Any]:
    account = users.primary_account(db.session, user.id)
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role.value,
        "account_id": account.id if account else None,
        "created_at": user.created_at,
    }


def _access_ttl() -> int:
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


@blp.route("/register")
class Register(MethodView):
    @blp.arguments(RegisterSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="Username taken")
    def post(self, body: dict[str, str]) -> dict[str, Any]:
        """Register a user; they get a trading account."""
        config = current_app.config
        defaults = users.AccountDefaults(
            currency=config["DEFAULT_ACCOUNT_CURRENCY"],
            leverage=config["DEFAULT_LEVERAGE"],
            demo_balance=config["DEMO_BALANCE"],
        )
        try:
            user = users.register_user(db.session, body["username"], body["password"], defaults)
        except users.WeakPassword as exc:
            raise ApiError(
                422, "WEAK_PASSWORD", exc.reason, errors={"password": [exc.reason]}
            ) from exc
        except users.UsernameTaken as exc:
            raise ApiError(409, "USERNAME_TAKEN", "this username is taken") from exc
        return _user_body(user)


def _login_limits() -> list[Any]:
    return [
        limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"]),
        limiter.limit(
            lambda: current_app.config["LOGIN_RATE_LIMIT_PER_USERNAME"], key_func=username_key
        ),
    ]


@blp.route("/login")
class Login(MethodView):
    decorators = _login_limits()

    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Wrong username or password")
    @blp.alt_response(429, description="Too many attempts; see Retry-After")
    def post(self, body: dict[str, str]) -> dict[str, Any]:
        """Exchange a username and password for an access and a refresh token."""
        user = users.authenticate(db.session, body["username"], body["password"])
        if user is None:
            raise ApiError(401, "INVALID_CREDENTIALS", "wrong username or password")
        return {
            "access_token": create_access_token(identity=user, fresh=True),
            "refresh_token": create_refresh_token(identity=user),
            "token_type": "Bearer",
            "expires_in": _access_ttl(),
        }


@blp.route("/refresh")
class Refresh(MethodView):
    @jwt_required(refresh=True)
    @blp.response(200, AccessTokenSchema)
    def post(self) -> dict[str, Any]:
        """Exchange a refresh token (as the Bearer token) for a new access token."""
        return {
            "access_token": create_access_token(identity=current_user, fresh=False),
            "token_type": "Bearer",
            "expires_in": _access_ttl(),
        }


@blp.route("/logout")
class Logout(MethodView):
    @jwt_required()
    @blp.arguments(LogoutSchema)
    @blp.response(204)
    def post(self, body: dict[str, Any]) -> None:
        """Revoke the presented access token and, if given, the refresh token."""
        claims = get_jwt()
        tokens.revoke(redis_store.client, claims["jti"], claims["exp"])
        if body.get("refresh_token"):
            _revoke_refresh(body["refresh_token"], claims["sub"])


def _revoke_refresh(encoded: str, subject: str) -> None:
    try:
        refresh = decode_token(encoded, allow_expired=True)
    except PyJWTError as exc:
        raise ApiError(422, "TOKEN_INVALID", "refresh_token is not a valid token") from exc
    if refresh.get("type") != "refresh" or refresh.get("sub") != subject:
        raise ApiError(422, "TOKEN_INVALID", "refresh_token is not this user's refresh token")
    tokens.revoke(redis_store.client, refresh["jti"], refresh["exp"])


@blp.route("/me")
class Me(MethodView):
    @jwt_required()
    @blp.response(200, UserSchema)
    def get(self) -> dict[str, Any]:
        """Return the authenticated user."""
        return _user_body(current_user)
