"""Simulator -> our stream -> the feed -> the quote store -> orders, all over real sockets.

With a symbol stopped on the simulator its quote goes stale: orders on it are refused with
PRICE_STALE within the staleness limit and nothing is booked at the old price; when the symbol
resumes, trading resumes by itself.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from domain.instruments import get_instrument
from marketdata.alltick.ws_client import StreamSettings
from marketdata.simulator import Simulator, SimulatorConfig
from models import Fill, db
from services.feed import HEARTBEAT_KEY, LEADER_KEY, Feed
from services.quotes import QuoteStore
from tests.helpers import new_trader
from tests.processes import poll
from tests.quotes import CHANNELS

FAST = StreamSettings(request_spacing=0.02, reconnect_spacing=0.05, max_backoff=0.5)


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    sim = Simulator(SimulatorConfig(port=0, tick_rate_scale=8.0))
    sim.start_in_thread()
    yield sim
    sim.stop()


@pytest.fixture
def feed(app: Flask, simulator: Simulator) -> Iterator[Feed]:
    client = redis.Redis.from_url(app.config["REDIS_URL"], decode_responses=True)
    running = Feed(client, simulator.ws_url(), "sim-token", CHANNELS, settings=FAST)
    running.start()
    yield running
    running.stop()


def test_ticks_reach_the_quote_store_with_a_heartbeat(app: Flask, redis_client, feed: Feed) -> None:  # type: ignore[no-untyped-def]
    store = QuoteStore(redis_client)
    poll(lambda: len(store.get_many(["EURUSD", "XAUUSD"])) == 2, 10, "both quotes")
    quotes = store.get_many(["EURUSD", "XAUUSD"])
    for quote in quotes.values():
        assert 0 < quote.bid < quote.ask
    assert redis_client.get(HEARTBEAT_KEY) is not None
    assert redis_client.get(LEADER_KEY) is not None


def test_a_second_feed_waits_while_the_first_leads(
    app: Flask, simulator: Simulator, feed: Feed, redis_client
) -> None:  # type: ignore[no-untyped-def]
    poll(lambda: redis_client.get(LEADER_KEY), 10, "a leader")
    leader = redis_client.get(LEADER_KEY)
    standby = Feed(redis_client, simulator.ws_url(), "sim-token", CHANNELS, settings=FAST)
    assert standby._acquire() is False
    assert redis_client.get(LEADER_KEY) == leader


def test_stopped_symbol_goes_stale_then_trades_again(
    app: Flask,
    client: FlaskClient,
    redis_client,
    simulator: Simulator,
    feed: Feed,  # type: ignore[no-untyped-def]
) -> None:
    control = simulator.control()
    trader = new_trader(client)
    order = {"symbol": "EURUSD", "side": "BUY", "lots": 0.01}

    def place() -> Any:
        return client.post("/api/orders", json=order, headers=trader["headers"])

    poll(lambda: place().status_code == 201, 10, "a first fill on live quotes")
    control.stale("EURUSD")
    stopped_at = time.monotonic()
    limit = get_instrument("EURUSD").staleness_seconds
    refused = poll(
        lambda: (r := place()).status_code == 409 and r, limit + 5, "PRICE_STALE refusal"
    )
    assert refused.get_json()["error_code"] == "PRICE_STALE"
    assert time.monotonic() - stopped_at <= limit + 2
    with app.app_context():
        fills_while_stale = db.session.query(Fill).count()
    assert place().status_code == 409
    with app.app_context():
        assert db.session.query(Fill).count() == fills_while_stale

    control.stale("EURUSD", stale=False)
    poll(lambda: place().status_code == 201, 10, "trading to resume")


def test_flushall_loses_nothing_booked_and_trading_recovers_by_itself(
    app: Flask,
    client: FlaskClient,
    redis_client,
    feed: Feed,  # type: ignore[no-untyped-def]
) -> None:
    trader = new_trader(client)
    order = {"symbol": "EURUSD", "side": "BUY", "lots": 0.01}
    poll(
        lambda: (
            client.post("/api/orders", json=order, headers=trader["headers"]).status_code == 201
        ),
        10,
        "a first fill",
    )
    before = client.get("/api/account", headers=trader["headers"]).get_json()

    redis_client.flushdb()  # FLUSHALL on a server that other test runs may share

    after = client.get("/api/account", headers=trader["headers"]).get_json()
    assert (after["balance"], after["txn_seq"]) == (before["balance"], before["txn_seq"])
    positions = client.get("/api/positions", headers=trader["headers"]).get_json()
    assert [(p["symbol"], p["lots"]) for p in positions] == [("EURUSD", "0.01")]
    # The feed re-takes its leadership and refills the quotes; orders fill again.
    poll(lambda: redis_client.get(LEADER_KEY), 20, "the feed to lead again")
    poll(
        lambda: (
            client.post("/api/orders", json=order, headers=trader["headers"]).status_code == 201
        ),
        20,
        "trading to resume after FLUSHALL",
    )


def _published_mids(pubsub: Any, symbol: str) -> list[Decimal]:
    """Return the mids of the ticks of `symbol` published so far (client prices)."""
    mids = []
    while (message := pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)) is not None:
        data = json.loads(message["data"])["data"]
        if data["symbol"] == symbol:
            mids.append((Decimal(data["bid"]) + Decimal(data["ask"])) / 2)
    return mids


def test_a_spike_is_held_and_a_confirmed_move_is_accepted(
    redis_client,
    simulator: Simulator,
    feed: Feed,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    control = simulator.control()
    store = QuoteStore(redis_client)
    poll(lambda: store.get("EURUSD"), 10, "a first EURUSD quote")
    caplog.set_level(logging.WARNING, logger="services.feed")
    pubsub = redis_client.pubsub()
    pubsub.subscribe(CHANNELS.quotes)
    start = store.get("EURUSD")
    assert start is not None
    normal = (start.bid + start.ask) / 2

    # One bad tick 30% away, then the walk goes on: held, dropped, never published.
    control.spike("EURUSD", "1.3")
    poll(lambda: "event=feed_spike_dropped symbol=EURUSD" in caplog.text, 10, "the spike dropped")
    assert "event=feed_spike_held symbol=EURUSD" in caplog.text
    assert all(mid < normal * Decimal("1.1") for mid in _published_mids(pubsub, "EURUSD"))

    # A real move of 5% that the following ticks confirm: accepted a few ticks late.
    moved = normal * Decimal("1.05")
    control.price("EURUSD", str(moved), hold=True)
    poll(lambda: "event=feed_spike_confirmed symbol=EURUSD" in caplog.text, 10, "the move")
    poll(
        lambda: (q := store.get("EURUSD")) is not None and (q.bid + q.ask) / 2 > normal * 104 / 100,
        10,
        "the moved price in the quote store",
    )
    pubsub.close()
