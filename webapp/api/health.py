"""Liveness and readiness.

`/health` answers 200 as long as the process serves requests and touches nothing else, so an
orchestrator never restarts a web process because a dependency is down. `/ready` checks every
dependency (PostgreSQL, Redis, the Celery broker, the market-data feed's heartbeat) and answers
503 when one is down, with a status
per component, so a load balancer stops sending traffic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask.views import MethodView
from sqlalchemy import text

from models import db
from schemas.health import HealthSchema, ReadinessSchema
from services.feed import HEARTBEAT_TTL_S, heartbeat_age_seconds
from webapp.api.base import Blueprint
from webapp.extensions import redis_store

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__, description="Liveness and readiness")


def _check_postgres() -> None:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()


def _check_redis() -> None:
    redis_store.client.ping()


def _check_broker() -> None:
    celery = current_app.extensions["celery"]
    with celery.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)


def _check_feed() -> None:
    age = heartbeat_age_seconds(redis_store.client)
    if age is None:
        raise RuntimeError(f"no tick from the market-data feed for {HEARTBEAT_TTL_S}s or more")


CHECKS: dict[str, Callable[[], None]] = {
    "postgres": _check_postgres,
    "redis": _check_redis,
    "broker": _check_broker,
    "feed": _check_feed,
}


@dataclass(frozen=True)
class Component:
    """One dependency's state."""

    status: str
    error: str | None = None


@dataclass(frozen=True)
class Readiness:
    """Every dependency's state; ready when all are ok."""

    components: dict[str, Component]

    @property
    def ready(self) -> bool:
        """Return whether every component is ok."""
        return all(c.status == "ok" for c in self.components.values())

    @property
    def status(self) -> str:
        """Return "ok" or "unavailable"."""
        return "ok" if self.ready else "unavailable"


@dataclass(frozen=True)
class Alive:
    status: str = "ok"


def run_checks(checks: dict[str, Callable[[], None]]) -> Readiness:
    """Run each check; report ok or the error's class and message per component."""
    results: dict[str, Component] = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # a readiness probe reports every failure, whatever it is
            log.warning("event=ready_check_failed component=%s error=%r", name, exc)
            results[name] = Component("error", f"{type(exc).__name__}: {exc}"[:300])
        else:
            results[name] = Component("ok")
    return Readiness(results)


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self) -> Alive:
        """Say the process is alive (touches no dependency)."""
        return Alive()


@blp.route("/ready")
class Ready(MethodView):
    @blp.response(200, ReadinessSchema)
    @blp.alt_response(503, schema=ReadinessSchema, description="A dependency is down")
    def get(self) -> tuple[Readiness, int]:
        """Check PostgreSQL, Redis, the broker and the feed; 503 when any is down."""
        readiness = run_checks(CHECKS)
        return readiness, (200 if readiness.ready else 503)
