"""GET /api/quotes and GET /api/candles against the real Redis and an in-process simulator.

Vendor calls are counted by the simulator itself (`rest_ok` in its control `state()` stats): every
candle request that reaches it is a real HTTP call, and nothing else calls its REST endpoints here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from marketdata.simulator import SimLimits, Simulator, SimulatorConfig
from services.quotes import QuoteStore, RawQuote
from tests.helpers import new_trader
from tests.quotes import CHANNELS

Headers = dict[str, str]


def _run_simulator(app: Flask, config: SimulatorConfig, plan: str) -> Iterator[Simulator]:
    sim = Simulator(config)
    sim.start_in_thread()
    saved = {name: app.config.get(name) for name in ("ALLTICK_BASE_REST", "ALLTICK_PLAN")}
    app.config.update(ALLTICK_BASE_REST=sim.rest_url(), ALLTICK_PLAN=plan)
    try:
        yield sim
    finally:
        app.config.update(saved)
        if saved["ALLTICK_PLAN"] is None:
            del app.config["ALLTICK_PLAN"]
        sim.stop()


@pytest.fixture
def simulator(app: Flask) -> Iterator[Simulator]:
    """A simulator without limits; our client keeps the basic plan's pacing."""
    yield from _run_simulator(app, SimulatorConfig(port=0), "basic")


@pytest.fixture
def strict_simulator(app: Flask) -> Iterator[Simulator]:
    """A simulator enforcing the basic plan, with our client pacing switched off to provoke 429."""
    yield from _run_simulator(
        app, SimulatorConfig(port=0, limits=SimLimits.for_plan("basic")), "unlimited"
    )


@pytest.fixture
def headers(client: FlaskClient) -> Headers:
    trader: dict[str, Any] = new_trader(client)
    result: Headers = trader["headers"]
    return result


def vendor_calls(sim: Simulator) -> int:
    """Return how many REST calls the simulator answered successfully."""
    return int(sim.control().state()["stats"].get("rest_ok", 0))


def store_quote(redis_client: redis.Redis, symbol: str, bid: str, ask: str) -> None:
    now = datetime.now(UTC)
    quote = RawQuote(symbol, Decimal(bid), Decimal(ask), now, now, 1)
    QuoteStore(redis_client).store_tick(quote, CHANNELS.quotes)


def candles(client: FlaskClient, headers: Headers, query: str) -> Any:
    return client.get(f"/api/candles?{query}", headers=headers)


# --- quotes ---------------------------------------------------------------------------------


def test_quotes_present_and_absent(client: FlaskClient, headers: Headers, redis_client) -> None:  # type: ignore[no-untyped-def]
    store_quote(redis_client, "EURUSD", "1.10000", "1.10010")
    response = client.get("/api/quotes?symbols=EURUSD,XAGUSD", headers=headers)
    assert response.status_code == 200, response.get_json()
    eurusd, xagusd = response.get_json()["items"]
    expected = QuoteStore(redis_client).client_quotes(["EURUSD"])["EURUSD"]
    assert eurusd["symbol"] == "EURUSD"
    assert (Decimal(eurusd["bid"]), Decimal(eurusd["ask"])) == (expected.bid, expected.ask)
    assert eurusd["bid"] == "1.09995" and eurusd["ask"] == "1.10015"
    assert datetime.fromisoformat(eurusd["ts_event"]).utcoffset() == timedelta(0)
    assert (eurusd["tradeable"], eurusd["reason"]) == (True, None)
    assert xagusd == {
        "symbol": "XAGUSD",
        "bid": None,
        "ask": None,
        "ts_event": None,
        "tradeable": False,
        "reason": "PRICE_STALE",
    }


def test_quotes_without_symbols_lists_the_catalogue(client: FlaskClient, headers: Headers) -> None:
    from domain.instruments import INSTRUMENTS

    response = client.get("/api/quotes", headers=headers)
    assert response.status_code == 200
    assert [item["symbol"] for item in response.get_json()["items"]] == list(INSTRUMENTS)


def test_quotes_unknown_symbol_is_named(client: FlaskClient, headers: Headers) -> None:
    response = client.get("/api/quotes?symbols=EURUSD,FOOBAR", headers=headers)
    body = response.get_json()
    assert response.status_code == 422
    assert body["error_code"] == "UNKNOWN_SYMBOL"
    assert "FOOBAR" in body["message"] and "EURUSD" not in body["message"]
    assert body["errors"] == {"symbols": ["FOOBAR"]}


@pytest.mark.parametrize("query", ["symbols=", "symbols=EURUSD,,XAUUSD", "other=1"])
def test_quotes_bad_query_is_422(client: FlaskClient, headers: Headers, query: str) -> None:
    response = client.get(f"/api/quotes?{query}", headers=headers)
    body = response.get_json()
    assert response.status_code == 422
    assert body["error_code"] == "VALIDATION_ERROR" and body["errors"]


@pytest.mark.parametrize("path", ["/api/quotes", "/api/candles?symbol=EURUSD&interval=1m"])
def test_market_data_needs_a_token(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.get_json()["error_code"] == "TOKEN_MISSING"


# --- candles --------------------------------------------------------------------------------


def assert_bars(bars: list[dict[str, str]], count: int, period: timedelta) -> None:
    assert len(bars) == count
    opens = [datetime.fromisoformat(bar["timestamp"]) for bar in bars]
    assert all(moment.utcoffset() == timedelta(0) for moment in opens)
    assert all(later - earlier == period for earlier, later in pairwise(opens))
    for bar in bars:
        assert set(bar) == {"timestamp", "open", "high", "low", "close", "volume"}
        values = {name: Decimal(bar[name]) for name in ("open", "high", "low", "close")}
        assert values["low"] <= min(values["open"], values["close"])
        assert values["high"] >= max(values["open"], values["close"])
        assert Decimal(bar["volume"]) >= 0


def test_candles_of_eurusd_and_xauusd(
    client: FlaskClient, headers: Headers, simulator: Simulator
) -> None:
    eurusd = candles(client, headers, "symbol=EURUSD&interval=1h&limit=50")
    assert eurusd.status_code == 200, eurusd.get_json()
    body = eurusd.get_json()
    assert (body["symbol"], body["interval"]) == ("EURUSD", "1h")
    assert_bars(body["items"], 50, timedelta(hours=1))
    assert all(len(bar["close"].split(".")[1]) >= 5 for bar in body["items"])

    gold = candles(client, headers, "symbol=XAUUSD&interval=1m")  # vendor code GOLD
    assert gold.status_code == 200, gold.get_json()
    assert_bars(gold.get_json()["items"], 100, timedelta(minutes=1))
    assert Decimal(gold.get_json()["items"][-1]["close"]) > 100


def test_concurrent_misses_make_one_vendor_call(
    app: Flask, headers: Headers, simulator: Simulator
) -> None:
    clients = 8
    barrier = threading.Barrier(clients)
    results: list[tuple[int, list[dict[str, str]]]] = []

    def fetch() -> None:
        own = app.test_client()
        barrier.wait()
        response = own.get("/api/candles?symbol=EURUSD&interval=1h&limit=500", headers=headers)
        results.append((response.status_code, response.get_json().get("items")))

    threads = [threading.Thread(target=fetch) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [status for status, _ in results] == [200] * clients
    assert all(items == results[0][1] for _, items in results)
    assert len(results[0][1]) == 500
    assert vendor_calls(simulator) == 1


def test_repeat_within_the_refresh_period_makes_no_vendor_call(
    client: FlaskClient, headers: Headers, simulator: Simulator
) -> None:
    first = candles(client, headers, "symbol=EURUSD&interval=1d&limit=10")
    assert first.status_code == 200
    assert vendor_calls(simulator) == 1
    second = candles(client, headers, "symbol=EURUSD&interval=1d&limit=3")
    assert second.status_code == 200
    assert vendor_calls(simulator) == 1
    assert second.get_json()["items"] == first.get_json()["items"][-3:]
    assert candles(client, headers, "symbol=EURUSD&interval=1w&limit=3").status_code == 200
    assert vendor_calls(simulator) == 2


def test_rate_limited_refresh_serves_the_stale_copy(
    client: FlaskClient, headers: Headers, redis_client, strict_simulator: Simulator
) -> None:  # type: ignore[no-untyped-def]
    first = candles(client, headers, "symbol=EURUSD&interval=1m&limit=5")
    assert first.status_code == 200
    redis_client.delete("candles:EURUSD:1m")  # the fresh copy expires; the stale one remains
    again = candles(client, headers, "symbol=EURUSD&interval=1m&limit=5")
    assert again.status_code == 200
    assert again.get_json()["items"] == first.get_json()["items"]
    assert strict_simulator.control().state()["stats"]["rest_429"] == 1


def test_rate_limited_with_nothing_cached_is_503(
    client: FlaskClient, headers: Headers, strict_simulator: Simulator
) -> None:
    assert candles(client, headers, "symbol=EURUSD&interval=1m&limit=5").status_code == 200
    nothing_cached = candles(client, headers, "symbol=XAUUSD&interval=1m&limit=5")
    assert nothing_cached.status_code == 503
    assert nothing_cached.get_json()["error_code"] == "MARKET_DATA_UNAVAILABLE"
    assert nothing_cached.headers["Retry-After"] == "5"
    assert strict_simulator.control().state()["stats"]["rest_429"] == 1


def test_vendor_down_is_503(app: Flask, client: FlaskClient, headers: Headers) -> None:
    saved = app.config["ALLTICK_BASE_REST"]
    app.config["ALLTICK_BASE_REST"] = "http://127.0.0.1:9/quote-b-api"  # discard port: refused
    try:
        response = candles(client, headers, "symbol=EURUSD&interval=5m")
    finally:
        app.config["ALLTICK_BASE_REST"] = saved
    assert response.status_code == 503
    assert response.get_json()["error_code"] == "MARKET_DATA_UNAVAILABLE"
    # The cause is logged, never shown: no vendor URL, query or token reaches the client.
    assert "127.0.0.1:9" not in response.get_json()["message"]
    assert "token" not in response.get_json()["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("interval=1m", "symbol"),
        ("symbol=EURUSD", "interval"),
        ("symbol=EURUSD&interval=2m", "interval"),
        ("symbol=EURUSD&interval=1m&limit=0", "limit"),
        ("symbol=EURUSD&interval=1m&limit=501", "limit"),
        ("symbol=EURUSD&interval=1m&limit=ten", "limit"),
        ("symbol=EURUSD&interval=1m&limit=1.5", "limit"),
        ("symbol=EURUSD&interval=1m&extra=1", "extra"),
    ],
)
def test_candles_bad_query_is_422(
    client: FlaskClient, headers: Headers, query: str, field: str
) -> None:
    response = candles(client, headers, query)
    body = response.get_json()
    assert response.status_code == 422
    assert body["error_code"] == "VALIDATION_ERROR"
    assert set(body) == {"code", "status", "message", "error_code", "errors"}
    assert field in body["errors"]


def test_candles_unknown_symbol(client: FlaskClient, headers: Headers) -> None:
    response = candles(client, headers, "symbol=FOOBAR&interval=1m")
    body = response.get_json()
    assert response.status_code == 422
    assert body["error_code"] == "UNKNOWN_SYMBOL" and "FOOBAR" in body["message"]
