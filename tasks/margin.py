"""Margin tasks: the periodic sweep (the safety net behind the positions engine) and stop out.

- `margin.sweep` values every account with open positions (services.risk.sweep_margin), warns
  margin calls, then stops out, one after the other, each account at or below STOP_OUT_LEVEL.
  It runs under a Redis lock (``tasks.maintenance.exclusive``) so two sweeps never overlap; a
  sweep that finds the lock taken does nothing.
- `margin.stop_out` stops out one account. ``stop_out`` re-values the account as booked and
  books each close only if the account is still as it valued it (same txn_seq); it changes
  nothing when the account is no longer at stop out, so it is idempotent and acknowledges late:
  a message whose worker died mid-task is redelivered and simply re-checks.
- Levels and ENFORCE_MARKET_HOURS come from the Flask config; nothing here holds state.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from celery import shared_task

from services.risk import stop_out as stop_out_account
from services.risk import stop_out_all, sweep_margin
from tasks.context import collaborators, level, utc_now
from tasks.maintenance import LOCK_PREFIX, exclusive

log = logging.getLogger(__name__)

SWEEP_LOCK = LOCK_PREFIX + "margin.sweep"


def run_sweep() -> dict[str, Any]:
    """Sweep every account, then stop out those due; return what was found and closed."""
    deps = collaborators()
    stop_out_level = level("STOP_OUT_LEVEL")
    found = sweep_margin(deps, level("MARGIN_CALL_LEVEL"), stop_out_level, datetime.now(UTC))
    closed = stop_out_all(deps, found.stop_out, stop_out_level, utc_now)
    return {**asdict(found), "closed": {str(k): v for k, v in closed.items()}}


@shared_task(name="margin.sweep")
def sweep() -> dict[str, Any]:
    """Sweep margin levels and stop out accounts due, unless another sweep is running."""
    with exclusive(SWEEP_LOCK) as acquired:
        if not acquired:
            return {"skipped": True}
        summary = run_sweep()
    log.info(
        "event=margin_sweep checked=%d margin_call=%s stop_out=%s unvalued=%s closed=%s",
        summary["checked"], summary["margin_call"], summary["stop_out"], summary["unvalued"],
        summary["closed"],
    )  # fmt: skip
    return {"skipped": False, **summary}


@shared_task(name="margin.stop_out", acks_late=True)
def stop_out(account_id: int) -> list[int]:
    """Stop out one account if it is (still) at or below the stop-out level."""
    closed = stop_out_account(collaborators(), account_id, level("STOP_OUT_LEVEL"), utc_now)
    log.info("event=margin_stop_out account_id=%s closed=%s", account_id, closed)
    return closed
