"""Extensions, created unbound here and bound to an app in create_app()."""

from __future__ import annotations

from flask import request
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sock import Sock

from models import db
from services.kv import redis_store

migrate = Migrate()
jwt = JWTManager()
cors = CORS()
api = Api()
sock = Sock()
limiter = Limiter(key_func=get_remote_address)


def username_key() -> str:
    """Rate-limit key: the username a login is for, so one account cannot be brute-forced."""
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return f"login-user:{username.strip().lower()}" if isinstance(username, str) else "login-user:"


__all__ = ["api", "cors", "db", "jwt", "limiter", "migrate", "redis_store", "sock"]
