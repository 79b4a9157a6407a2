"""Stop out and the margin sweep on the real PostgreSQL and Redis.

The scenario and its hand-computed numbers are in tests/scenarios.py.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from domain.positions import Side
from domain.records import OrderReason, PositionStatus
from models import Order, Position, db
from schemas.events import MARGIN_CALL, STOP_OUT
from services.booking import Collaborators
from services.risk import stop_out, sweep_margin
from tests.invariants import assert_ledger_invariants
from tests.scenarios import (
    CRASH,
    MARGIN_CALL_LEVEL,
    STOP_OUT_LEVEL,
    collaborators,
    margin_call_account,
    new_account,
    now,
    open_position,
    put_prices,
    snapshot,
    stop_out_account,
    summary,
)


@pytest.fixture
def deps(app: Flask, redis_client: redis.Redis) -> Iterator[Collaborators]:
    with app.app_context():
        yield collaborators(redis_client)


@pytest.fixture
def events(redis_client: redis.Redis, channels: Any) -> Iterator[Any]:
    """A subscription to the accounts channel, confirmed before the test acts."""
    pubsub = redis_client.pubsub()
    pubsub.subscribe(channels.accounts)
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"
    yield pubsub
    pubsub.close()


def received(pubsub: Any, message_type: str, count: int) -> list[dict[str, Any]]:
    """Read the channel until `count` messages of the type arrived (or 10 s passed)."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while len(found) < count and time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        if message is not None and json.loads(message["data"])["type"] == message_type:
            found.append(json.loads(message["data"]))
    return found


def test_stop_out_closes_the_most_losing_first_until_above_the_level(
    client: FlaskClient, deps: Collaborators, events: Any
) -> None:
    ids = stop_out_account(client, deps)
    put_prices(deps.publisher.client, CRASH)
    assert summary(deps, ids["account"])["margin_level"] == "22.09"

    closed = stop_out(deps, ids["account"], STOP_OUT_LEVEL, now)

    assert closed == [ids["EURUSD"], ids["GBPUSD"]]
    positions = {p.symbol: p for p in db.session.scalars(select(Position))}
    assert positions["EURUSD"].close_reason == "stop_out"
    assert positions["EURUSD"].realized_pnl == Decimal("-2010.00")
    assert positions["GBPUSD"].close_reason == "stop_out"
    assert positions["GBPUSD"].realized_pnl == Decimal("-1010.00")
    assert positions["AUDUSD"].status == PositionStatus.OPEN
    reasons = db.session.scalars(select(Order.reason).order_by(Order.id)).all()
    assert reasons == [OrderReason.CLIENT] * 3 + [OrderReason.STOP_OUT] * 2
    db.session.rollback()
    after = summary(deps, ids["account"])
    assert (after["balance"], after["equity"], after["margin_level"]) == (
        "980.00",
        "670.00",
        "101.06",
    )
    assert_ledger_invariants()
    stops = received(events, STOP_OUT, 2)
    assert [e["data"]["position"]["symbol"] for e in stops] == ["EURUSD", "GBPUSD"]
    assert [e["data"]["margin_level"] for e in stops] == ["34.31", "101.06"]


def test_a_second_stop_out_changes_nothing(client: FlaskClient, deps: Collaborators) -> None:
    ids = stop_out_account(client, deps)
    put_prices(deps.publisher.client, CRASH)
    assert len(stop_out(deps, ids["account"], STOP_OUT_LEVEL, now)) == 2
    before = snapshot()
    assert stop_out(deps, ids["account"], STOP_OUT_LEVEL, now) == []
    assert snapshot() == before


def test_a_healthy_account_is_left_alone(client: FlaskClient, deps: Collaborators) -> None:
    ids = stop_out_account(client, deps)
    before = snapshot()
    # At the opening prices: equity 3970 / margin 3060 = 129.74%.
    assert stop_out(deps, ids["account"], STOP_OUT_LEVEL, now) == []
    assert snapshot() == before


def test_a_stale_symbol_is_skipped_and_the_next_most_losing_closed(
    client: FlaskClient, deps: Collaborators, caplog: pytest.LogCaptureFixture
) -> None:
    ids = stop_out_account(client, deps)
    put_prices(deps.publisher.client, CRASH)
    put_prices(deps.publisher.client, {"EURUSD": "1.08000"}, age=timedelta(seconds=60))
    caplog.set_level(logging.ERROR, logger="services.risk")

    closed = stop_out(deps, ids["account"], STOP_OUT_LEVEL, now)

    # EURUSD (-2010) cannot be closed; GBPUSD (-1010, balance 2990): 670 / 1743 = 38.44%, then
    # AUDUSD (-310, balance 2680): 670 / 1080 = 62.04%.
    assert closed == [ids["GBPUSD"], ids["AUDUSD"]]
    assert summary(deps, ids["account"])["margin_level"] == "62.04"
    assert "alert=stop_out_skipped" in caplog.text
    assert "symbol=EURUSD" in caplog.text
    assert_ledger_invariants()


def test_a_symbol_without_any_quote_is_estimated_and_the_priced_worst_closed(
    client: FlaskClient, deps: Collaborators, caplog: pytest.LogCaptureFixture
) -> None:
    ids = stop_out_account(client, deps)
    put_prices(deps.publisher.client, CRASH)
    deps.publisher.client.delete("quote:AUDUSD")
    caplog.set_level(logging.ERROR, logger="services.risk")

    closed = stop_out(deps, ids["account"], STOP_OUT_LEVEL, now)

    # AUDUSD has no quote: valued at its entry 0.65995 (no PnL; margin 1000 AUD x 0.65995 =
    # 659.95). Equity 4000 - 2010 - 1010 = 980, used 1080 + 1290 + 659.95: 32.34% -> close
    # EURUSD, the worst priced (-2010); then 980 / 1949.95 = 50.26% > 50: done.
    assert closed == [ids["EURUSD"]]
    assert "alert=stop_out_estimated" in caplog.text
    assert "symbols=AUDUSD" in caplog.text
    assert_ledger_invariants()


def test_sweep_finds_stop_out_and_margin_call_accounts_in_one_query(
    client: FlaskClient, deps: Collaborators, events: Any
) -> None:
    due = stop_out_account(client, deps)["account"]
    warned = margin_call_account(client, deps)
    healthy = new_account(client)
    open_position(deps, healthy, "EURUSD", Side.BUY, "0.1")
    new_account(client)  # nothing open: not checked
    put_prices(deps.publisher.client, CRASH)
    before = snapshot()
    statements: list[str] = []
    engine = db.engine

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        found = sweep_margin(deps, MARGIN_CALL_LEVEL, STOP_OUT_LEVEL, now)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert (found.checked, found.margin_call, found.stop_out, found.unvalued) == (
        3, [warned], [due], [],
    )  # fmt: skip
    assert len(statements) == 1
    assert snapshot() == before
    calls = {e["data"]["account_id"]: e["data"] for e in received(events, MARGIN_CALL, 2)}
    assert calls[due]["margin_state"] == "STOP_OUT"
    assert calls[due]["margin_level"] == "22.09"
    assert calls[warned]["margin_state"] == "MARGIN_CALL"
    assert calls[warned]["margin_level"] == "92.25"
