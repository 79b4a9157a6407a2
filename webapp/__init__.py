"""The Flask application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, config_for, sqlalchemy_url


def create_app(
    config: type[Config] | str | None = None, overrides: dict[str, Any] | None = None
) -> Flask:
    """Build the app: config, extensions, error handlers, blueprints, back office, Celery, CLI."""
    config_class = config if isinstance(config, type) else config_for(config)
    config_class.validate()
    app = Flask(__name__)  # /static/: the trader page (webapp/pages.py); docs assets: webapp.docs
    app.config.from_object(config_class)
    app.config.update(overrides or {})
    _derive_settings(app)
    _configure_logging(app)
    _init_extensions(app)
    _register_blueprints(app)
    from webapp.backoffice import init_backoffice

    init_backoffice(app)

    from tasks import celery_init_app

    celery_init_app(app)
    from tasks.cli import register_risk_cli
    from tasks.engine_cli import register_engine_cli
    from webapp.cli import register_cli

    register_cli(app)
    register_risk_cli(app)
    register_engine_cli(app)
    return app


def _derive_settings(app: Flask) -> None:
    """Fill settings computed from others (the database URL for psycopg, storage URIs, docs)."""
    from webapp.docs import configure_docs

    app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(app.config["DATABASE_URL"])
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "ratelimit")
    configure_docs(app)


def _configure_logging(app: Flask) -> None:
    """Log key=value lines at the configured level; no client value can break a line."""
    import logsafe

    logsafe.install()
    level = app.config["LOG_LEVEL"]
    logging.basicConfig(
        level=level, format="ts=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
    )
    app.logger.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin chatter at every start


def _init_extensions(app: Flask) -> None:
    from models.base import ping_when_idle
    from webapp.auth import register_jwt_callbacks
    from webapp.errors import register_error_handlers
    from webapp.extensions import api, cors, db, jwt, limiter, migrate, redis_store, sock
    from webapp.jsonparse import StrictJSONProvider
    from webapp.ws import relay  # registers /ws on the Sock blueprint before init_app

    app.json = StrictJSONProvider(app)
    proxy_hops = app.config.get("PROXY_FIX_HOPS", 0)
    if proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_hops, x_proto=proxy_hops)  # type: ignore[method-assign]
    db.init_app(app)
    with app.app_context():
        ping_when_idle(db.engine, float(app.config["DB_PING_IDLE_SECONDS"]))
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    redis_store.init_app(app)
    jwt.init_app(app)
    register_jwt_callbacks(app)
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
        supports_credentials=False,
        expose_headers=["Retry-After"],
    )
    limiter.init_app(app)
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    app.config.setdefault("SOCK_SERVER_OPTIONS", relay.server_options())
    app.before_request(relay.authenticate_upgrade)
    sock.init_app(app)
    register_error_handlers(app)


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _register_blueprints(app: Flask) -> None:
    from webapp import pages
    from webapp.api import (
        account,
        admin,
        auth,
        health,
        history,
        margin,
        market,
        orders,
        positions,
        realtime,
        sim_fill,
        symbols,
    )
    from webapp.extensions import api

    modules = (
        health,
        auth,
        account,
        orders,
        positions,
        history,
        symbols,
        market,
        margin,
        admin,
        sim_fill,
        realtime,
    )
    for module in modules:
        api.register_blueprint(module.blp)
    # The trader page is a plain Flask blueprint: it is no API operation, so not in OpenAPI.
    app.register_blueprint(pages.bp)
