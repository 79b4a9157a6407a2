"""Stop out end to end: the simulator moves prices, the feed stores them, the positions engine
(or, with the engine stopped, beat's margin.sweep) triggers margin.stop_out on a real Celery
worker, which closes the most losing position first until the margin level is above 50%.

The account (USD, leverage 100, 1 lot each): EURUSD BUY, GBPUSD BUY, AUDUSD SELL opened at
1.10000 / 1.30000 / 0.66000, then the balance is withdrawn to 4000. The simulator then moves the
mids to 1.08000 / 1.29000 / 0.66300: unrealised PnL about -2010 / -1010 / -310, margin level about
22%. Closing EURUSD (the most losing) leaves about 34%, still at stop out; closing GBPUSD leaves
about 101%: AUDUSD stays open. (Simulator spreads move these by a few dollars, not the order.)
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from domain.records import LedgerKind
from marketdata.alltick.ws_client import StreamSettings
from marketdata.simulator import Simulator, SimulatorConfig
from marketdata.simulator.control_client import ControlClient
from models import db
from services.accounts import adjust_balance
from services.engine import engine_from_config
from services.feed import Feed
from services.quotes import QuoteStore
from tests.helpers import new_trader
from tests.invariants import assert_ledger_invariants
from tests.processes import poll
from tests.quotes import CHANNELS
from tests.scenarios import collaborators

OPEN = {"EURUSD": "1.10000", "GBPUSD": "1.30000", "AUDUSD": "0.66000"}
CRASH = {"EURUSD": "1.08000", "GBPUSD": "1.29000", "AUDUSD": "0.66300"}
FAST = StreamSettings(request_spacing=0.02, reconnect_spacing=0.05, max_backoff=0.5)


@pytest.fixture
def market(app: Flask) -> Iterator[ControlClient]:
    """The simulator, and our feed writing its ticks into the test Redis."""
    sim = Simulator(SimulatorConfig(port=0, tick_rate_scale=8.0))
    sim.start_in_thread()
    feed = Feed(redis.Redis.from_url(app.config["REDIS_URL"], decode_responses=True),
                sim.ws_url(), "sim-token", CHANNELS, settings=FAST)  # fmt: skip
    feed.start()
    yield sim.control()
    feed.stop()
    sim.stop()


def set_mids(control: ControlClient, redis_client: redis.Redis, mids: dict[str, str]) -> None:
    """Move the simulator's mids and wait until the quote store shows them."""
    for code, mid in mids.items():
        control.price(code, mid, hold=True)
    store = QuoteStore(redis_client)

    def arrived() -> bool:
        quotes = store.get_many(mids)
        return len(quotes) == len(mids) and all(
            abs((q.bid + q.ask) / 2 - Decimal(mids[s])) < Decimal("0.0001")
            for s, q in quotes.items()
        )

    poll(arrived, 15, f"quotes at {mids}")


def open_book(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """Open the three positions and withdraw down to 4000; return the trader."""
    trader = new_trader(client)
    for symbol, side in (("EURUSD", "BUY"), ("GBPUSD", "BUY"), ("AUDUSD", "SELL")):
        placed = client.post("/api/orders", json={"symbol": symbol, "side": side, "lots": 1},
                             headers=trader["headers"])  # fmt: skip
        assert placed.status_code == 201, placed.get_json()
        trader["account_id"] = placed.get_json()["account"]["id"]
    with app.app_context():
        balance = Decimal(
            client.get("/api/account", headers=trader["headers"]).get_json()["balance"]
        )
        deps = collaborators(app.extensions["redis"])
        adjust_balance(db.session, deps, trader["account_id"], LedgerKind.WITHDRAWAL,
                       balance - 4000, "e2e setup", 0)  # fmt: skip
    return trader


def stop_out_closes(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT symbol, side FROM orders WHERE reason = 'stop_out' ORDER BY id"
        )).all()  # fmt: skip
        db.session.rollback()
    return [(row[0], row[1]) for row in rows]


def snapshot(app: Flask) -> list[Any]:
    with app.app_context():
        rows = [db.session.execute(text(sql)).all() for sql in (
            "SELECT id, balance, txn_seq FROM accounts ORDER BY id",
            "SELECT id, status, lots FROM positions ORDER BY id",
            "SELECT count(*) FROM ledger_entries",
        )]  # fmt: skip
        db.session.rollback()
    return rows


def assert_stopped_out(app: Flask, client: FlaskClient, trader: dict[str, Any]) -> None:
    closes = poll(lambda: len(stop_out_closes(app)) >= 2 and stop_out_closes(app), 60,
                  "two stop-out closes")  # fmt: skip
    assert closes == [("EURUSD", "SELL"), ("GBPUSD", "SELL")]
    positions = client.get("/api/positions", headers=trader["headers"]).get_json()
    assert [p["symbol"] for p in positions] == ["AUDUSD"]
    account = client.get("/api/account", headers=trader["headers"]).get_json()
    assert Decimal(account["margin_level"]) > 50
    with app.app_context():
        reasons = db.session.execute(text(
            "SELECT reason FROM ledger_entries WHERE kind = 'realized_pnl' ORDER BY id"
        )).scalars().all()  # fmt: skip
        db.session.rollback()
        assert [r.split()[0] for r in reasons[-2:]] == ["stop_out", "stop_out"]
        assert_ledger_invariants()


def assert_second_delivery_changes_nothing(app: Flask, account_id: int) -> None:
    before = snapshot(app)
    celery = app.extensions["celery"]
    celery.send_task("margin.stop_out", args=[account_id])
    # The solo worker runs tasks in order: when this ping answers, the stop out above has run.
    assert celery.send_task("system.ping").get(timeout=60) == "pong"
    assert snapshot(app) == before


def test_engine_triggers_stop_out_on_a_simulated_crash(
    app: Flask, client: FlaskClient, redis_client: redis.Redis,
    market: ControlClient, worker: subprocess.Popen[str],
) -> None:  # fmt: skip
    set_mids(market, redis_client, OPEN)
    trader = open_book(app, client)
    with app.app_context():
        engine = engine_from_config(app.config, db.engine, app.extensions["celery"].send_task)
    engine.start()
    try:
        set_mids(market, redis_client, CRASH)
        assert_stopped_out(app, client, trader)
    finally:
        engine.stop()
    assert_second_delivery_changes_nothing(app, trader["account_id"])


def test_sweep_alone_stops_out_when_the_engine_is_down(
    app: Flask, client: FlaskClient, redis_client: redis.Redis,
    market: ControlClient, worker: subprocess.Popen[str],
) -> None:  # fmt: skip
    set_mids(market, redis_client, OPEN)
    trader = open_book(app, client)
    set_mids(market, redis_client, CRASH)
    assert stop_out_closes(app) == []
    app.extensions["celery"].send_task("margin.sweep")
    assert_stopped_out(app, client, trader)
    assert_second_delivery_changes_nothing(app, trader["account_id"])
