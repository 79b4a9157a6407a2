"""The feed watchdog: alert when quotes stop arriving."""

from __future__ import annotations

import logging

from celery import shared_task

from services.feed import heartbeat_age_seconds
from tasks.context import redis_client

log = logging.getLogger(__name__)


@shared_task(name="marketdata.feed_watchdog")
def feed_watchdog() -> str:
    """Log an alert when the feed's heartbeat is missing; return the state seen."""
    age = heartbeat_age_seconds(redis_client())
    if age is None:
        log.error("event=alert alert=feed_heartbeat_missing")
        return "missing"
    log.info("event=feed_heartbeat age_s=%.1f", age)
    return "ok"
