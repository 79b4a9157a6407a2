"""What tasks hand to services: this process's Redis client and the booking collaborators.

Tasks run inside the Flask app context (tasks.celery_init_app); the app built the Redis client
once for the process (webapp.extensions.RedisStore), and tasks take it from there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import redis
from flask import current_app

from models import db
from services.booking import Collaborators, collaborators_from


def redis_client() -> redis.Redis:
    """Return this process's Redis client."""
    client: redis.Redis = current_app.extensions["redis"]
    return client


def collaborators() -> Collaborators:
    """Return the booking collaborators of this process."""
    return collaborators_from(current_app.config, db.engine, redis_client())


def utc_now() -> datetime:
    """Return the current time, aware UTC: the clock tasks hand to services."""
    return datetime.now(UTC)


def level(name: str) -> Decimal:
    """Return a margin level setting (MARGIN_CALL_LEVEL, STOP_OUT_LEVEL) as a Decimal."""
    return Decimal(str(current_app.config[name]))
