"""Configuration: every environment variable the system reads is read here, once.

`APP_ENV` chooses the class: production (default), development or testing. `.env.example`
documents every variable. The configuration fails closed: with APP_ENV unset it is production,
which refuses to start without its secrets (SECRET_KEY and JWT_SECRET_KEY of at least 32 bytes),
its servers, or with a wildcard CORS origin; `testing` (fixed, public secrets) is refused unless
the test runner asked for it (FX_TEST_RUN=1, set by tests/conftest.py). `make run` and `make test`
choose development and testing explicitly. Development generates its secrets once into ./var
(git-ignored), so nothing secret is ever committed.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VAR = ROOT / "var"
MIN_SECRET_BYTES = 32
# Set by the test runner (tests/conftest.py) alone: the testing configuration's secrets are public.
TEST_RUN_FLAG = "FX_TEST_RUN"


class ConfigError(RuntimeError):
    """The environment does not describe a configuration we can start with."""


def env_str(name: str, default: str = "") -> str:
    """Return the variable's value, or the default when unset or empty."""
    return os.environ.get(name) or default


def env_int(name: str, default: int) -> int:
    """Return the variable as an int, with a clear error when it is not one."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def env_decimal(name: str, default: str) -> Decimal:
    """Return the variable as a finite Decimal."""
    raw = os.environ.get(name) or default
    try:
        value = Decimal(raw)
    except ArithmeticError as exc:
        raise ConfigError(f"{name} must be a decimal number, got {raw!r}") from exc
    if not value.is_finite():
        raise ConfigError(f"{name} must be finite, got {raw!r}")
    return value


def env_bool(name: str, default: bool) -> bool:
    """Return the variable as a bool (1/true/yes/on)."""
    raw = os.environ.get(name)
    if not raw:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Return a comma-separated variable as a list of stripped, non-empty items."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def sqlalchemy_url(url: str) -> str:
    """Point a plain postgresql:// URL at the psycopg (v3) driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def dev_secret(name: str) -> str:
    """Return a development secret, generated once into ./var/secrets/NAME."""
    path = VAR / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Settings shared by every environment; subclasses change what differs."""

    APP_ENV = "base"
    TESTING = False
    DEBUG = False
    LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
    SECRET_KEY = ""
    JWT_SECRET_KEY = ""

    DATABASE_URL = env_str("DATABASE_URL")
    REDIS_URL = env_str("REDIS_URL")
    # Pub/sub channels are shared by every database of a Redis server: their names carry this
    # prefix, so a test run never hears a development system's ticks on the same server.
    REDIS_CHANNEL_PREFIX = env_str("REDIS_CHANNEL_PREFIX", "fx")

    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {
        "pool_size": env_int("DB_POOL_SIZE", 10),
        "max_overflow": env_int("DB_MAX_OVERFLOW", 20),
        # SQL parameters (usernames, hashes, token ids) never reach logs or error messages.
        "hide_parameters": True,
    }
    # A pooled connection idle longer than this is pinged before use (models.base.ping_when_idle)
    DB_PING_IDLE_SECONDS = env_decimal("DB_PING_IDLE_SECONDS", "1")
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # JWT: short-lived access tokens, longer refresh tokens, both revocable through Redis.
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=env_int("JWT_ACCESS_TOKEN_MINUTES", 15))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=env_int("JWT_REFRESH_TOKEN_DAYS", 7))
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ALGORITHM = "HS256"
    # Every token names who issued it and for whom; a token of another issuer or audience sharing
    # the key (another service, another environment) is refused.
    JWT_ENCODE_ISSUER = JWT_DECODE_ISSUER = env_str("JWT_ISSUER", "fx-backend")
    JWT_ENCODE_AUDIENCE = JWT_DECODE_AUDIENCE = env_str("JWT_AUDIENCE", "fx-api")

    CORS_ORIGINS = env_list("CORS_ORIGINS", "http://localhost:3000,http://127.0.0.1:3000")

    # The back office (/admin, webapp.backoffice) is the only user of Flask's session cookie: it is
    # sent only under /admin, never to scripts (HttpOnly), not on cross-site POSTs (Lax), and only
    # over HTTPS in production. The back office checks CSRF tokens on its own unsafe requests
    # only: the JSON API authenticates with bearer tokens, not cookies.
    SESSION_COOKIE_NAME = "fx_backoffice"
    SESSION_COOKIE_PATH = "/admin"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)

    # How many reverse proxies in front of us to trust for X-Forwarded-For (rate limits per IP).
    PROXY_FIX_HOPS = env_int("PROXY_FIX_HOPS", 0)

    # Request bodies above this are refused with 413 before they are parsed.
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 64 * 1024)

    LOGIN_RATE_LIMIT_PER_IP = env_str("LOGIN_RATE_LIMIT_PER_IP", "20 per minute")
    LOGIN_RATE_LIMIT_PER_USERNAME = env_str("LOGIN_RATE_LIMIT_PER_USERNAME", "5 per minute")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"

    API_TITLE = "FX trading backend"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    # The OpenAPI document and Swagger UI (served from webapp/swagger_ui, no CDN); off in
    # production unless API_DOCS_ENABLED is set (webapp/docs.py).
    API_DOCS_ENABLED = env_bool("API_DOCS_ENABLED", True)
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"

    ALLTICK_API_KEY = env_str("ALLTICK_API_KEY")
    ALLTICK_BASE_REST = env_str("ALLTICK_BASE_REST", "http://127.0.0.1:8765/quote-b-api")
    ALLTICK_BASE_WS = env_str("ALLTICK_BASE_WS", "ws://127.0.0.1:8765/quote-b-ws-api")
    # The Alltick plan (free, basic, premium, professional): the REST client paces itself by it.
    ALLTICK_PLAN = env_str("ALLTICK_PLAN", "basic")
    # The simulator's token (not a secret): used when ALLTICK_API_KEY is unset.
    SIMULATOR_TOKEN = env_str("SIMULATOR_TOKEN", "sim-token")

    MARGIN_CALL_LEVEL = env_decimal("MARGIN_CALL_LEVEL", "100")
    STOP_OUT_LEVEL = env_decimal("STOP_OUT_LEVEL", "50")
    # A client's opening or increasing order must leave the account strictly above this level
    # (%), valued right after the fill at the closing side (the spread paid included).
    PRE_TRADE_MARGIN_LEVEL = env_decimal("PRE_TRADE_MARGIN_LEVEL", str(MARGIN_CALL_LEVEL))
    # Retail policy: a negative balance left with nothing open is reset to zero (ledger entry).
    NEGATIVE_BALANCE_PROTECTION = env_bool("NEGATIVE_BALANCE_PROTECTION", True)
    # A conversion rate used in a booking must be at most this old (s).
    CONVERSION_MAX_AGE_SECONDS = env_int("CONVERSION_MAX_AGE_SECONDS", 300)
    DEFAULT_LEVERAGE = env_int("DEFAULT_LEVERAGE", 100)
    DEFAULT_ACCOUNT_CURRENCY = env_str("DEFAULT_ACCOUNT_CURRENCY", "USD")
    DEMO_BALANCE = env_decimal("DEMO_BALANCE", "0")
    ENFORCE_MARKET_HOURS = env_bool("ENFORCE_MARKET_HOURS", True)
    SIM_FILL_ENABLED = env_bool("SIM_FILL_ENABLED", False)
    RETENTION_DAYS = env_int("RETENTION_DAYS", 90)

    CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)

    # The feed holds a tick whose mid moves more than this fraction from the last accepted one
    # until SPIKE_CONFIRMATIONS following ticks agree with it (domain.spikes).
    SPIKE_LIMIT_FX = env_decimal("SPIKE_LIMIT_FX", "0.02")
    SPIKE_LIMIT_METAL = env_decimal("SPIKE_LIMIT_METAL", "0.05")
    SPIKE_CONFIRMATIONS = env_int("SPIKE_CONFIRMATIONS", 2)

    @classmethod
    def validate(cls) -> None:
        """Refuse to start with a configuration that cannot work."""
        missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not getattr(cls, name)]
        if missing:
            raise ConfigError(f"missing environment variables: {', '.join(missing)}")
        if cls.STOP_OUT_LEVEL >= cls.MARGIN_CALL_LEVEL:
            raise ConfigError("STOP_OUT_LEVEL must be below MARGIN_CALL_LEVEL")


class DevelopmentConfig(Config):
    """A developer's machine: generated secrets, a funded demo account, the simulator."""

    APP_ENV = "development"
    SECRET_KEY = env_str("SECRET_KEY")
    JWT_SECRET_KEY = env_str("JWT_SECRET_KEY")
    DEMO_BALANCE = env_decimal("DEMO_BALANCE", "100000")
    # The simulator ticks 24/7, so a demo on a Saturday can still trade.
    ENFORCE_MARKET_HOURS = env_bool("ENFORCE_MARKET_HOURS", False)
    SIM_FILL_ENABLED = env_bool("SIM_FILL_ENABLED", True)

    @classmethod
    def validate(cls) -> None:
        """Fill missing secrets from ./var/secrets (generated once), then check the rest."""
        cls.SECRET_KEY = cls.SECRET_KEY or dev_secret("SECRET_KEY")
        cls.JWT_SECRET_KEY = cls.JWT_SECRET_KEY or dev_secret("JWT_SECRET_KEY")
        super().validate()


class TestingConfig(DevelopmentConfig):
    """The test suite: its own database and Redis, set by tests/conftest.py.

    Its secrets are public, so it starts only when the test runner asked for it (FX_TEST_RUN=1):
    a stray APP_ENV=testing on a server fails instead of signing tokens with a published key.
    """

    APP_ENV = "testing"
    TESTING = True
    REDIS_CHANNEL_PREFIX = env_str("REDIS_CHANNEL_PREFIX", "fxtest")
    SECRET_KEY = "test-secret-key-not-for-production-use-0123456789"  # noqa: S105
    JWT_SECRET_KEY = "test-jwt-secret-key-not-for-production-0123456789"  # noqa: S105

    @classmethod
    def validate(cls) -> None:
        """Refuse to start unless the test runner set FX_TEST_RUN=1."""
        if os.environ.get(TEST_RUN_FLAG) != "1":
            raise ConfigError(
                f"APP_ENV=testing is for the test suite only ({TEST_RUN_FLAG}=1 is not set)"
            )
        super().validate()


class ProductionConfig(Config):
    """Production: every secret from the environment, explicit CORS origins, no API docs."""

    APP_ENV = "production"
    SECRET_KEY = env_str("SECRET_KEY")
    JWT_SECRET_KEY = env_str("JWT_SECRET_KEY")
    API_DOCS_ENABLED = env_bool("API_DOCS_ENABLED", False)
    SESSION_COOKIE_SECURE = True

    @classmethod
    def validate(cls) -> None:
        """Refuse to start without secrets, servers, or with a wildcard CORS origin."""
        missing = [
            name
            for name in ("SECRET_KEY", "JWT_SECRET_KEY", "DATABASE_URL", "REDIS_URL")
            if not getattr(cls, name)
        ]
        if missing:
            raise ConfigError(
                f"production needs {', '.join(missing)} (APP_ENV is production when unset)"
            )
        for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
            if len(getattr(cls, name).encode()) < MIN_SECRET_BYTES:
                raise ConfigError(f"{name} must be at least {MIN_SECRET_BYTES} bytes")
        if not cls.CORS_ORIGINS or any("*" in origin for origin in cls.CORS_ORIGINS):
            raise ConfigError("CORS_ORIGINS must be an explicit list of origins in production")
        super().validate()


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(app_env: str | None = None) -> type[Config]:
    """Return the configuration class for APP_ENV (default: production, which fails closed)."""
    name = app_env or env_str("APP_ENV", "production")
    try:
        return CONFIGS[name]
    except KeyError as exc:
        raise ConfigError(f"APP_ENV must be one of {', '.join(CONFIGS)}, got {name!r}") from exc
