"""The symbol catalogue over HTTP: terms, current client quote and tradeability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from domain.instruments import INSTRUMENTS
from tests.helpers import new_trader
from tests.quotes import put_market, put_quote


def get(client: FlaskClient, url: str) -> Any:
    response = client.get(url, headers=new_trader(client)["headers"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_every_symbol_with_its_terms_and_quote(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    items = get(client, "/api/symbols")["items"]
    assert [item["symbol"] for item in items] == list(INSTRUMENTS)
    eurusd = next(item for item in items if item["symbol"] == "EURUSD")
    assert {k: v for k, v in eurusd.items() if k != "quote"} == {
        "symbol": "EURUSD", "vendor_code": "EURUSD", "asset_class": "fx",
        "base_currency": "EUR", "quote_currency": "USD", "digits": 5, "pip_size": "0.0001",
        "contract_size": "100000", "min_lots": "0.01", "max_lots": "50.00", "lot_step": "0.01",
        "max_leverage": 500, "markup_points": 10, "staleness_seconds": 10,
        "tradeable": True, "reason": None,
    }  # fmt: skip
    assert (eurusd["quote"]["bid"], eurusd["quote"]["ask"]) == ("1.09995", "1.10007")
    assert datetime.fromisoformat(eurusd["quote"]["ts_event"]).tzinfo is not None
    unquoted = next(item for item in items if item["symbol"] == "GBPAUD")
    assert (unquoted["quote"], unquoted["tradeable"], unquoted["reason"]) == (
        None,
        False,
        "PRICE_STALE",
    )


def test_one_symbol(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    gold = get(client, "/api/symbols/XAUUSD")
    assert (gold["vendor_code"], gold["asset_class"], gold["digits"]) == ("GOLD", "metal", 2)
    assert (gold["pip_size"], gold["contract_size"], gold["max_leverage"]) == ("0.1", "100", 100)
    # raw 2400.00 / 2400.02 widened by 30 points of 0.01, half on each side
    assert (gold["quote"]["bid"], gold["quote"]["ask"]) == ("2399.85", "2400.17")
    assert gold["tradeable"] is True


def test_a_symbol_without_a_quote(client: FlaskClient) -> None:
    body = get(client, "/api/symbols/EURUSD")
    assert (body["quote"], body["tradeable"], body["reason"]) == (None, False, "PRICE_STALE")


def test_an_old_quote_is_shown_but_stale(client: FlaskClient, redis_client: Any) -> None:
    put_quote(redis_client, "EURUSD", "1.10000", "1.10002", age=timedelta(seconds=60))
    body = get(client, "/api/symbols/EURUSD")
    assert body["quote"]["bid"] == "1.09995"
    assert (body["tradeable"], body["reason"]) == (False, "PRICE_STALE")


def test_a_closed_market(
    app: Flask, client: FlaskClient, redis_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    saturday = datetime(2025, 6, 7, 12, 0, tzinfo=UTC)
    put_market(redis_client)
    monkeypatch.setitem(app.config, "ENFORCE_MARKET_HOURS", True)
    monkeypatch.setattr("webapp.api.symbols.now", lambda: saturday)
    body = get(client, "/api/symbols/EURUSD")
    assert (body["tradeable"], body["reason"]) == (False, "MARKET_CLOSED")


@pytest.mark.parametrize("symbol", ["EURXXX", "eurusd"])
def test_an_unknown_symbol(client: FlaskClient, symbol: str) -> None:
    trader = new_trader(client)
    response = client.get(f"/api/symbols/{symbol}", headers=trader["headers"])
    assert response.status_code == 404
    assert response.get_json()["error_code"] == "UNKNOWN_SYMBOL"


@pytest.mark.parametrize("url", ["/api/symbols", "/api/symbols/EURUSD"])
def test_symbols_need_a_token(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 401
