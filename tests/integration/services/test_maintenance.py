"""Retention cleanup: old closed positions and their fills go; everything else stays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from domain.positions import Side
from models import db
from services.booking import Collaborators
from services.maintenance import cleanup
from tasks.cli import maintenance_cli
from tasks.maintenance import CLEANUP_LOCK
from tasks.maintenance import cleanup as cleanup_task
from tests.invariants import assert_ledger_invariants
from tests.quotes import put_market
from tests.scenarios import collaborators, new_account, open_position

SET_BACK = "100 days"


@pytest.fixture
def deps(app: Flask, redis_client: redis.Redis) -> Iterator[Collaborators]:
    with app.app_context():
        put_market(redis_client)
        yield collaborators(redis_client)


def round_trip(deps: Collaborators, account_id: int, symbol: str) -> int:
    """Open and close 1 lot; return the (closed) position id."""
    position_id = open_position(deps, account_id, symbol, Side.BUY, "1")
    open_position(deps, account_id, symbol, Side.SELL, "1")
    return position_id


def age_history() -> None:
    """Move everything booked so far 100 days into the past, as if it had been booked then."""
    for statement in (
        f"UPDATE positions SET opened_at = opened_at - interval '{SET_BACK}',"
        f" closed_at = closed_at - interval '{SET_BACK}'",
        f"UPDATE fills SET created_at = created_at - interval '{SET_BACK}'",
        f"UPDATE orders SET created_at = created_at - interval '{SET_BACK}'",
        f"UPDATE ledger_entries SET created_at = created_at - interval '{SET_BACK}'",
    ):
        db.session.execute(text(statement))
    db.session.commit()


def rows(table: str) -> list[Any]:
    found = [tuple(r) for r in db.session.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
    db.session.rollback()
    return found


def ids_of(table: str, column: str = "id") -> set[int]:
    found = set(db.session.scalars(text(f"SELECT {column} FROM {table}")))
    db.session.rollback()
    return found


def history(client: FlaskClient, deps: Collaborators) -> dict[str, int]:
    """Two old round trips, an old open position, a recent round trip, an old flip; return ids."""
    account_id = new_account(client)
    ids = {
        "old_eur": round_trip(deps, account_id, "EURUSD"),
        "old_jpy": round_trip(deps, account_id, "USDJPY"),
        "open_gbp": open_position(deps, account_id, "GBPUSD", Side.BUY, "1"),
        "flipped_nzd": open_position(deps, account_id, "NZDUSD", Side.BUY, "1"),
    }
    ids["nzd_successor"] = open_position(deps, account_id, "NZDUSD", Side.SELL, "2")
    age_history()
    ids["recent_aud"] = round_trip(deps, account_id, "AUDUSD")
    return ids


def test_cleanup_removes_old_closed_positions_and_their_fills_only(
    client: FlaskClient, deps: Collaborators
) -> None:
    ids = history(client, deps)
    ledger, orders = rows("ledger_entries"), rows("orders")

    removed = cleanup(db.session, timedelta(days=90), datetime.now(UTC), batch_size=1)

    # The flipped NZDUSD position was closed by its own fill of the flip (the order's second
    # fill opened its successor), so its fills net to zero and it goes too.
    assert removed == {"positions": 3, "fills": 6, "batches": 3}
    assert ids_of("positions") == {ids["open_gbp"], ids["recent_aud"], ids["nzd_successor"]}
    assert ids_of("fills", "position_id") == ids_of("positions")
    assert rows("ledger_entries") == ledger
    assert rows("orders") == orders
    assert_ledger_invariants()


def test_a_second_cleanup_removes_nothing(client: FlaskClient, deps: Collaborators) -> None:
    history(client, deps)
    cleanup(db.session, timedelta(days=90), datetime.now(UTC))
    fills, positions = rows("fills"), rows("positions")
    removed = cleanup(db.session, timedelta(days=90), datetime.now(UTC))
    assert removed == {"positions": 0, "fills": 0, "batches": 0}
    assert (rows("fills"), rows("positions")) == (fills, positions)


def test_the_cleanup_task_uses_retention_days_and_its_lock(
    client: FlaskClient, deps: Collaborators, redis_client: redis.Redis
) -> None:
    ids = history(client, deps)
    redis_client.set(CLEANUP_LOCK, "held-by-another-worker")
    assert cleanup_task() == {"skipped": True}
    assert ids["old_eur"] in ids_of("positions")
    redis_client.delete(CLEANUP_LOCK)
    # RETENTION_DAYS is 90: positions aged 100 days go.
    assert cleanup_task() == {"skipped": False, "positions": 3, "fills": 6, "batches": 1}
    assert redis_client.get(CLEANUP_LOCK) is None


def test_the_cleanup_command(app: Flask, client: FlaskClient, deps: Collaborators) -> None:
    history(client, deps)
    result = app.test_cli_runner().invoke(maintenance_cli, ["cleanup", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert result.output == "removed 3 positions and 6 fills in 1 batches\n"
