"""Extensions, created unbound here and bound to an app in create_app()."""

from __future__ import annotations

from typing import Any

import redis
from flask import current_app, request
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sock import Sock

from models import db
from schemas.common import ApiErrorSchema
from services.redis_client import connect


class RedisStore:
    """A Flask extension: each app gets one Redis client (one pool), built from its REDIS_URL.

    Workers (tasks) take the same client from `app.extensions["redis"]` (tasks.context).
    """

    def init_app(self, app: Any) -> None:
        """Build the app's client and register it in app.extensions."""
        app.extensions["redis"] = connect(app.config["REDIS_URL"])

    @property
    def client(self) -> redis.Redis:
        """Return the current app's client."""
        client: redis.Redis = current_app.extensions["redis"]
        return client


class TradingApi(Api):
    """flask-smorest's Api, documenting the one error shape every failure answers with."""

    ERROR_SCHEMA = ApiErrorSchema


migrate = Migrate()
jwt = JWTManager()
cors = CORS()
api = TradingApi()
sock = Sock()
limiter = Limiter(key_func=get_remote_address)
redis_store = RedisStore()


def username_key() -> str:
    """Rate-limit key: the username a login is for, so one account cannot be brute-forced."""
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return f"login-user:{username.strip().lower()}" if isinstance(username, str) else "login-user:"


__all__ = ["api", "cors", "db", "jwt", "limiter", "migrate", "redis_store", "sock"]
