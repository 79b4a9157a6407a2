"""Risk that fails safe, on the real PostgreSQL and Redis: closes that never wait on another
symbol, negative balance protection, fresh conversion rates, flips, sizes, margin calls told
once per crossing.

Quotes: put_quote stores a raw quote; majors carry a 10-point markup (client bid = raw bid - 5
points, ask = raw ask + 5 points), crosses 20, metals 30.
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
from sqlalchemy import select

from domain.positions import Side
from domain.records import LedgerKind
from models import LedgerEntry, Position, db
from schemas.events import ACCOUNT_UPDATED, MARGIN_CALL
from services.booking import Collaborators
from services.risk import stop_out, sweep_margin
from tests.helpers import admin_headers, new_trader
from tests.invariants import assert_ledger_invariants
from tests.quotes import put_market, put_quote
from tests.scenarios import (
    MARGIN_CALL_LEVEL,
    STOP_OUT_LEVEL,
    collaborators,
    new_account,
    now,
    open_position,
    put_prices,
    withdraw_to,
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


def drain(pubsub: Any, seconds: float = 1.0) -> list[dict[str, Any]]:
    """Read every message published within `seconds` (after the action under test)."""
    found, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message is not None:
            found.append(json.loads(message["data"]))
    return found


def test_a_close_never_waits_for_another_symbols_price(
    client: FlaskClient, redis_client: redis.Redis
) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    for symbol in ("EURUSD", "XAGUSD"):
        placed = client.post("/api/orders", json={"symbol": symbol, "side": "BUY", "lots": 0.1},
                             headers=trader["headers"])  # fmt: skip
        assert placed.status_code == 201, placed.get_json()
    redis_client.delete("quote:XAGUSD")  # Redis restarted while Silver was not ticking

    closed = client.post("/api/positions/EURUSD/close", headers=trader["headers"])

    assert closed.status_code == 201, closed.get_json()
    body = closed.get_json()
    assert body["position"]["status"] == "closed"
    # The account after it shows what it can: booked figures, live ones unknown (Silver).
    assert body["account"]["equity"] is None
    assert "XAGUSD" in body["account"]["valuation_error"]
    positions = client.get("/api/positions", headers=trader["headers"]).get_json()
    assert [(p["symbol"], p["current_price"]) for p in positions] == [("XAGUSD", None)]


def test_a_gap_through_the_stop_out_level_ends_at_zero_with_a_reset_entry(
    app: Flask, client: FlaskClient, deps: Collaborators, events: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    put_prices(deps.publisher.client, {"EURUSD": "1.10000"})  # client ask 1.10005
    account_id = new_account(client)
    open_position(deps, account_id, "EURUSD", Side.BUY, "0.9")
    withdraw_to(deps, account_id, "1000")
    put_prices(deps.publisher.client, {"EURUSD": "1.08000"})  # a 200-pip gap: bid 1.07995
    caplog.set_level(logging.ERROR, logger="services.booking")

    assert len(stop_out(deps, account_id, STOP_OUT_LEVEL, now)) == 1

    # (1.07995 - 1.10005) x 0.9 x 100000 = -1809.00: 1000 - 1809 = -809.00, reset to 0.00.
    entries = db.session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.balance_after)
        .where(LedgerEntry.account_id == account_id)
        .order_by(LedgerEntry.txn_seq)
    ).all()
    db.session.rollback()
    assert entries[-2:] == [
        (LedgerKind.REALIZED_PNL, Decimal("-1809.00"), Decimal("-809.00")),
        (LedgerKind.NEGATIVE_BALANCE_RESET, Decimal("809.00"), Decimal("0.00")),
    ]
    assert entries[-1][0] is LedgerKind.NEGATIVE_BALANCE_RESET
    assert_ledger_invariants()
    updated = [e for e in drain(events) if e["type"] == ACCOUNT_UPDATED]
    assert updated[-1]["data"]["account"]["balance"] == "0.00"
    assert updated[-1]["data"]["ledger_entry"]["kind"] == "negative_balance_reset"
    assert "alert=negative_balance_reset" in caplog.text
    listing = _admin_resets(app, client)
    assert [(r["account_id"], r["amount"]) for r in listing] == [(account_id, "809.00")]


def _admin_resets(app: Flask, client: FlaskClient) -> list[dict[str, Any]]:
    response = client.get("/api/admin/negative-balance-resets", headers=admin_headers(app, client))
    assert response.status_code == 200, response.get_json()
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items


def test_a_stale_conversion_rate_refuses_the_booking_naming_the_pair(
    client: FlaskClient, redis_client: redis.Redis
) -> None:
    put_market(redis_client)
    put_quote(redis_client, "GBPUSD", "1.25000", "1.25002", age=timedelta(minutes=10))
    trader = new_trader(client)

    # EURGBP's PnL is in GBP: converting it to USD needs GBPUSD, 10 minutes old.
    response = client.post("/api/orders", json={"symbol": "EURGBP", "side": "BUY", "lots": 0.1},
                           headers=trader["headers"])  # fmt: skip

    assert response.status_code == 409
    assert response.get_json()["error_code"] == "CONVERSION_RATE_STALE"
    assert "GBPUSD" in response.get_json()["message"]


def test_a_flip_books_two_fills_so_each_position_is_the_sum_of_its_own(
    client: FlaskClient, redis_client: redis.Redis
) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    client.post("/api/orders", json={"symbol": "EURUSD", "side": "BUY", "lots": 1},
                headers=trader["headers"])  # fmt: skip

    flip = client.post("/api/orders", json={"symbol": "EURUSD", "side": "SELL", "lots": 3},
                       headers=trader["headers"]).get_json()  # fmt: skip

    closing, opening = flip["fills"]
    assert (closing["lots"], opening["lots"]) == ("1.00", "2.00")
    assert closing["position_id"] != opening["position_id"] == flip["position"]["id"]
    assert flip["fill"] == opening
    assert (flip["position"]["side"], flip["position"]["lots"]) == ("SELL", "2.00")
    with client.application.app_context():
        assert_ledger_invariants()  # includes: every position = the signed sum of its fills


def test_an_explicit_close_above_the_largest_order_is_booked_in_several_orders(
    client: FlaskClient, redis_client: redis.Redis
) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    for lots in (50, 10):  # 50 is EURUSD's largest order
        placed = client.post("/api/orders", json={"symbol": "EURUSD", "side": "BUY", "lots": lots},
                             headers=trader["headers"])  # fmt: skip
        assert placed.status_code == 201, placed.get_json()

    closed = client.post("/api/positions/EURUSD/close", json={"lots": 55},
                         headers=trader["headers"])  # fmt: skip

    assert closed.status_code == 201, closed.get_json()
    assert closed.get_json()["position"]["lots"] == "5.00"
    with client.application.app_context():
        lots = db.session.scalars(
            select(Position.lots).where(Position.status == "open", Position.symbol == "EURUSD")
        ).all()
        sells = db.session.execute(
            db.text("SELECT lots FROM orders WHERE side = 'SELL' ORDER BY id")
        ).scalars().all()  # fmt: skip
        db.session.rollback()
        assert (lots, sells) == ([Decimal("5.00")], [Decimal("50.00"), Decimal("5.00")])
        assert_ledger_invariants()


def test_the_sweep_calls_a_margin_call_once_per_crossing(
    client: FlaskClient, deps: Collaborators, events: Any
) -> None:
    put_prices(deps.publisher.client, {"GBPUSD": "1.30000"})
    account_id = new_account(client)
    open_position(deps, account_id, "GBPUSD", Side.BUY, "1")
    withdraw_to(deps, account_id, "2200")
    put_prices(deps.publisher.client, {"GBPUSD": "1.29000"})  # 92.25%: margin call

    def calls() -> list[dict[str, Any]]:
        sweep_margin(deps, MARGIN_CALL_LEVEL, STOP_OUT_LEVEL, now())
        return [e for e in drain(events, 0.5) if e["type"] == MARGIN_CALL]

    assert len(calls()) == 1
    assert calls() == []  # still below: already told
    put_prices(deps.publisher.client, {"GBPUSD": "1.31000"})  # back above
    assert calls() == []
    put_prices(deps.publisher.client, {"GBPUSD": "1.29000"})  # a new crossing
    assert [e["data"]["account_id"] for e in calls()] == [account_id]
