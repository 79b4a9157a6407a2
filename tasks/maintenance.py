"""Maintenance tasks, and the Redis lock that keeps a periodic task from overlapping itself.

- `maintenance.cleanup` removes closed positions and their fills older than RETENTION_DAYS
  (policy in services/maintenance.py); ledger entries and orders are kept.
- ``exclusive(name)``: SET NX PX with a random token (redis-py's Lock); the lock expires after
  the task's hard time limit, so a killed worker cannot hold it forever, and it is released only
  by its holder (a token-checked delete), so an expired holder cannot free a successor's lock.
  A copy that finds the lock taken does nothing and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import shared_task
from flask import current_app
from redis.exceptions import LockError

from models import db
from services.maintenance import cleanup as cleanup_positions
from tasks.context import redis_client

log = logging.getLogger(__name__)

LOCK_PREFIX = "lock:"
CLEANUP_LOCK = LOCK_PREFIX + "maintenance.cleanup"


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Hold the named Redis lock for the block; yield False (and hold nothing) if it is taken."""
    timeout = int(current_app.config["CELERY_TASK_TIME_LIMIT"])
    lock = redis_client().lock(name, timeout=timeout, blocking=False)
    if not lock.acquire():
        log.info("event=lock_busy lock=%s", name)
        yield False
        return
    try:
        yield True
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("event=lock_expired lock=%s", name)


def run_cleanup(older_than: timedelta) -> dict[str, int]:
    """Run the retention cleanup with the app's database session."""
    return cleanup_positions(db.session, older_than, datetime.now(UTC))


@shared_task(name="maintenance.cleanup")
def cleanup() -> dict[str, Any]:
    """Remove old closed positions and their fills, unless another cleanup is running."""
    with exclusive(CLEANUP_LOCK) as acquired:
        if not acquired:
            return {"skipped": True}
        days = int(current_app.config["RETENTION_DAYS"])
        removed = run_cleanup(timedelta(days=days))
    log.info("event=maintenance_cleanup retention_days=%d removed=%s", days, removed)
    return {"skipped": False, **removed}
