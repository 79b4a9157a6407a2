"""Registration, login, token refresh, logout and the current user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    decode_token,
    get_jwt,
    jwt_required,
)
from jwt import PyJWTError

from models import db
from schemas.auth import (
    AccessTokenSchema,
    LoginSchema,
    LogoutSchema,
    RegisterSchema,
    TokenPairSchema,
    UserSchema,
)
from services import tokens, users
from webapp.api.base import Blueprint
from webapp.auth import Principal, principal
from webapp.context import collaborators
from webapp.errors import ApiError
from webapp.extensions import limiter, username_key

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Users and tokens")


@dataclass(frozen=True)
class IssuedTokens:
    """Tokens handed to a client: the access token, and the refresh token at login."""

    access_token: str
    expires_in: int
    refresh_token: str | None = None
    token_type: str = "Bearer"  # noqa: S105 (the scheme's name, not a secret)


def _access_ttl() -> int:
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


def _user(user_id: int) -> users.UserRecord:
    record = users.user_record(db.session, user_id)
    if record is None:
        raise ApiError(401, "TOKEN_INVALID", "the token's user does not exist")
    return record


@blp.route("/register")
class Register(MethodView):
    @blp.arguments(RegisterSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="Username taken")
    def post(self, body: dict[str, str]) -> users.UserRecord:
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
        return _user(user.id)


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
    def post(self, body: dict[str, str]) -> IssuedTokens:
        """Exchange a username and password for an access and a refresh token."""
        user = users.authenticate(db.session, body["username"], body["password"])
        if user is None:
            raise ApiError(401, "INVALID_CREDENTIALS", "wrong username or password")
        account = users.primary_account(db.session, user.id)
        identity = Principal(user.id, user.role, account.id if account else None)
        return IssuedTokens(
            access_token=create_access_token(identity=identity, fresh=True),
            expires_in=_access_ttl(),
            refresh_token=create_refresh_token(identity=identity),
        )


@blp.route("/refresh")
class Refresh(MethodView):
    @jwt_required(refresh=True)
    @blp.response(200, AccessTokenSchema)
    def post(self) -> IssuedTokens:
        """Exchange a refresh token (as the Bearer token) for a new access token."""
        token = create_access_token(identity=principal(), fresh=False)
        return IssuedTokens(access_token=token, expires_in=_access_ttl())


@blp.route("/logout")
class Logout(MethodView):
    @jwt_required()
    @blp.arguments(LogoutSchema)
    @blp.response(204)
    def post(self, body: dict[str, Any]) -> None:
        """Revoke the presented access token and, if given, the refresh token."""
        claims = get_jwt()
        publisher = collaborators().publisher
        tokens.revoke(publisher.client, publisher.channels, claims["jti"], claims["exp"])
        if body.get("refresh_token"):
            _revoke_refresh(body["refresh_token"], claims["sub"])


def _revoke_refresh(encoded: str, subject: str) -> None:
    try:
        refresh = decode_token(encoded, allow_expired=True)
    except PyJWTError as exc:
        raise ApiError(422, "TOKEN_INVALID", "refresh_token is not a valid token") from exc
    if refresh.get("type") != "refresh" or refresh.get("sub") != subject:
        raise ApiError(422, "TOKEN_INVALID", "refresh_token is not this user's refresh token")
    publisher = collaborators().publisher
    tokens.revoke(publisher.client, publisher.channels, refresh["jti"], refresh["exp"])


@blp.route("/me")
class Me(MethodView):
    @jwt_required()
    @blp.response(200, UserSchema)
    def get(self) -> users.UserRecord:
        """Return the authenticated user."""
        return _user(principal().user_id)
