"""Tasks that prove the plumbing works."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="system.ping", ignore_result=False)
def ping() -> str:
    """Answer 'pong' from a worker (used by tests and operators to prove a worker runs)."""
    log.info("event=ping")
    return "pong"
