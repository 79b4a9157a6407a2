"""Retention: remove old closed positions and their fills, in small committed batches.

Policy:
- A position is removed, together with every fill that belongs to it, when it is closed, was
  closed before ``now - older_than``, and its own fills net to zero lots (it was opened and closed
  by its own fills). Its fills are then all older than the cutoff too (a fill precedes the close).
- An order that crossed zero booked two fills (one closing the old position, one opening the
  new), so a closed position's own fills net to zero and it is removed like any other. A
  position closed by a single fill that crossed zero (booked before that rule) does not net to
  zero and is kept: removing its fills alone would break ``position = sum of fills``.
- Open positions and their fills are never touched; ledger entries are never deleted (the
  balance is their sum); orders are kept, since they hold the idempotency results
  (``client_order_id`` -> the original response) and a fill's ``order_id`` points at them.
- Batches: up to ``batch_size`` positions at a time, chosen with ``LIMIT`` and locked with
  ``FOR UPDATE SKIP LOCKED``; their fills are deleted first (fills reference positions), then
  the positions, then the batch commits. A closed position never changes again, so a batch
  needs no account lock and orders are never delayed by the cleanup.
- Idempotent: a second run with the same cutoff removes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, text

from models.base import DbSession

log = logging.getLogger(__name__)

_BATCH = text(
    """
    SELECT p.id FROM positions p
    WHERE p.status = 'closed' AND p.closed_at < :cutoff
      AND COALESCE((
        SELECT SUM(CASE WHEN f.side = 'BUY' THEN f.lots ELSE -f.lots END)
        FROM fills f WHERE f.position_id = p.id
      ), 0) = 0
    ORDER BY p.id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """
)
_DELETE_FILLS = text("DELETE FROM fills WHERE position_id IN :ids RETURNING id").bindparams(
    bindparam("ids", expanding=True)
)
_DELETE_POSITIONS = text("DELETE FROM positions WHERE id IN :ids RETURNING id").bindparams(
    bindparam("ids", expanding=True)
)


def cleanup(
    session: DbSession, older_than: timedelta, now: datetime, batch_size: int = 1000
) -> dict[str, int]:
    """Delete old closed positions and their fills, batch by batch; commit each batch."""
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    cutoff = now - older_than
    removed = {"positions": 0, "fills": 0, "batches": 0}
    while True:
        ids = list(session.scalars(_BATCH, {"cutoff": cutoff, "limit": batch_size}))
        if not ids:
            session.rollback()
            break
        fills = len(session.scalars(_DELETE_FILLS, {"ids": ids}).all())
        positions = len(session.scalars(_DELETE_POSITIONS, {"ids": ids}).all())
        session.commit()
        removed["fills"] += fills
        removed["positions"] += positions
        removed["batches"] += 1
    log.info(
        "event=cleanup cutoff=%s positions=%d fills=%d batches=%d",
        cutoff.isoformat(),
        removed["positions"],
        removed["fills"],
        removed["batches"],
    )
    return removed
