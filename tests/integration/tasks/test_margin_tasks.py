"""The margin tasks and command: in-process, under their lock, and on a real Celery worker.

Numbers: the stop-out account of tests/integration/services/test_risk.py (22.09% after the crash;
stop out closes EURUSD then GBPUSD and ends at 101.06%).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from domain.records import OrderReason, PositionStatus
from models import Order, Position, db
from services.booking import Collaborators
from tasks.cli import margin_cli
from tasks.margin import SWEEP_LOCK, stop_out, sweep
from tests.invariants import assert_ledger_invariants
from tests.scenarios import (
    CRASH,
    collaborators,
    margin_call_account,
    put_prices,
    snapshot,
    stop_out_account,
)


@pytest.fixture
def deps(app: Flask, redis_client: redis.Redis) -> Iterator[Collaborators]:
    with app.app_context():
        yield collaborators(redis_client)


def open_symbols(account_id: int) -> list[str]:
    query = select(Position.symbol).where(
        Position.account_id == account_id, Position.status == PositionStatus.OPEN
    )
    symbols = sorted(db.session.scalars(query))
    db.session.rollback()
    return symbols


def test_the_sweep_task_warns_and_stops_out(client: FlaskClient, deps: Collaborators) -> None:
    ids = stop_out_account(client, deps)
    warned = margin_call_account(client, deps)
    put_prices(deps.publisher.client, CRASH)

    summary = sweep()

    assert summary["skipped"] is False
    assert (summary["margin_call"], summary["stop_out"]) == ([warned], [ids["account"]])
    assert summary["closed"] == {str(ids["account"]): [ids["EURUSD"], ids["GBPUSD"]]}
    assert open_symbols(ids["account"]) == ["AUDUSD"]
    assert open_symbols(warned) == ["GBPUSD"]
    assert deps.publisher.client.get(SWEEP_LOCK) is None
    assert_ledger_invariants()


def test_a_sweep_never_overlaps_another(client: FlaskClient, deps: Collaborators) -> None:
    ids = stop_out_account(client, deps)
    put_prices(deps.publisher.client, CRASH)
    deps.publisher.client.set(SWEEP_LOCK, "held-by-another-worker")
    before = snapshot()
    assert sweep() == {"skipped": True}
    assert snapshot() == before
    assert deps.publisher.client.get(SWEEP_LOCK) == "held-by-another-worker"
    assert open_symbols(ids["account"]) == ["AUDUSD", "EURUSD", "GBPUSD"]


def test_the_stop_out_task_is_idempotent(client: FlaskClient, deps: Collaborators) -> None:
    ids = stop_out_account(client, deps)
    put_prices(deps.publisher.client, CRASH)
    assert stop_out(ids["account"]) == [ids["EURUSD"], ids["GBPUSD"]]
    before = snapshot()
    assert stop_out(ids["account"]) == []
    assert snapshot() == before
    assert stop_out.acks_late is True


def test_the_sweep_command(app: Flask, client: FlaskClient, deps: Collaborators) -> None:
    ids = stop_out_account(client, deps)
    put_prices(deps.publisher.client, CRASH)
    result = app.test_cli_runner().invoke(margin_cli, ["sweep"])
    assert result.exit_code == 0, result.output
    account = ids["account"]
    assert result.output == (
        f"checked 1 accounts: margin call [], stop out [{account}], not valued []\n"
        f"account {account}: closed positions [{ids['EURUSD']}, {ids['GBPUSD']}]\n"
    )


@pytest.mark.slow
def test_a_real_worker_runs_the_sweep_end_to_end(
    app: Flask,
    client: FlaskClient,
    deps: Collaborators,
    redis_client: redis.Redis,
    channels: Any,
    worker: subprocess.Popen[str],
) -> None:
    ids = stop_out_account(client, deps)
    celery = app.extensions["celery"]
    # The worker is up once it answers; only then crash the prices, so they are fresh when it
    # sweeps (a stale quote is never closed on).
    assert celery.send_task("system.ping").get(timeout=60) == "pong"
    pubsub = redis_client.pubsub()
    pubsub.subscribe(channels.accounts)
    put_prices(deps.publisher.client, CRASH)

    celery.send_task("margin.sweep")

    deadline = time.monotonic() + 60
    while open_symbols(ids["account"]) != ["AUDUSD"] and time.monotonic() < deadline:
        pubsub.get_message(timeout=1)  # wakes on the worker's events, else re-polls each second
    pubsub.close()
    assert open_symbols(ids["account"]) == ["AUDUSD"]
    reasons = db.session.scalars(select(Order.reason).where(Order.account_id == ids["account"]))
    assert sorted(reasons) == sorted([OrderReason.CLIENT] * 3 + [OrderReason.STOP_OUT] * 2)
    db.session.rollback()
    assert_ledger_invariants()
    assert worker.poll() is None
