"""The margin check over HTTP: computed at the server's price, refusals named, nothing written.

EURUSD client bid/ask 1.09995/1.10007 (put_market); USD account, leverage 100, contract 100000:
0.1 lots need 10000 EUR / 100 = 100 EUR = 110.001 USD at the mid 1.10001, so 110.00.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Order, db
from tests.helpers import admin_headers, new_trader
from tests.quotes import put_market, put_quote


def _check(client: FlaskClient, trader: dict[str, Any], side: str, lots: float) -> Any:
    body = {"symbol": "EURUSD", "side": side, "lots": lots}
    return client.post("/api/margin/check", json=body, headers=trader["headers"])


def test_an_affordable_order_is_allowed(app: Flask, client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    response = _check(client, trader, "BUY", 0.1)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "symbol": "EURUSD", "side": "BUY", "lots": "0.10", "price": "1.10007",
        "currency": "USD", "required_margin": "110.00", "used_margin": "0.00",
        "used_margin_after": "110.00", "free_margin": "100000.00",
        # after the fill, valued at the bid: the 1.20 spread is paid at once
        "free_margin_after": "99888.80", "allowed": True, "reducing": False,
        "reason": None, "message": None,
    }  # fmt: skip
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert client.get("/api/account", headers=trader["headers"]).get_json()["txn_seq"] == 1


def test_tiny_balance_is_refused_but_reducing_is_always_allowed(
    app: Flask, client: FlaskClient, redis_client: Any
) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    account_id = client.get("/api/account", headers=trader["headers"]).get_json()["id"]
    opened = client.post(
        "/api/orders", json={"symbol": "EURUSD", "side": "BUY", "lots": 0.1},
        headers=trader["headers"],
    )  # fmt: skip
    assert opened.status_code == 201
    # free margin: 100000 - 1.20 (spread) - 110.00 = 99888.80; leave a balance of 120.00
    withdrawn = client.post(
        f"/api/admin/accounts/{account_id}/adjustments",
        json={"kind": "withdrawal", "amount": 99880, "reason": "test: tiny balance"},
        headers=admin_headers(app, client),
    )
    assert withdrawn.status_code == 201, withdrawn.get_json()
    put_quote(redis_client, "EURUSD", "1.09000", "1.09002")  # client 1.08995 / 1.09007
    # equity 120 + (1.08995 - 1.10007) x 10000 = 18.80; used 100 EUR x 1.09001 = 109.00

    more = _check(client, trader, "BUY", 0.1).get_json()
    # after: 0.2 lots need 218.002 -> 218.00; the new 0.1 bought at the ask 1.09007 is valued
    # at the bid 1.08995 (-1.20): free after 18.80 - 1.20 - 218.00 = -200.40
    assert (more["required_margin"], more["free_margin"], more["free_margin_after"]) == (
        "218.00", "-90.20", "-200.40",
    )  # fmt: skip
    assert (more["allowed"], more["reducing"], more["reason"]) == (
        False, False, "INSUFFICIENT_MARGIN",
    )  # fmt: skip

    reduce = _check(client, trader, "SELL", 0.05).get_json()
    # after: 0.05 lots need 54.5005 -> 54.50; still negative, yet a reducing order passes
    assert (reduce["required_margin"], reduce["free_margin_after"]) == ("54.50", "-35.70")
    assert (reduce["allowed"], reduce["reducing"], reduce["reason"]) == (True, True, None)

    flip = _check(client, trader, "SELL", 0.2).get_json()
    assert (flip["allowed"], flip["reducing"], flip["reason"]) == (
        False, False, "INSUFFICIENT_MARGIN",
    )  # fmt: skip


def test_untradeable_orders_name_the_reason(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    too_big = _check(client, trader, "BUY", 60).get_json()
    assert (too_big["allowed"], too_big["reason"]) == (False, "INVALID_LOTS")
    assert "maximum" in too_big["message"]

    put_quote(redis_client, "EURUSD", "1.10000", "1.10002", age=timedelta(seconds=60))
    stale = _check(client, trader, "BUY", 0.1).get_json()
    assert (stale["allowed"], stale["reason"], stale["price"]) == (False, "PRICE_STALE", "1.10007")


def test_no_quote_at_all_is_409(client: FlaskClient) -> None:
    trader = new_trader(client)
    response = _check(client, trader, "BUY", 0.1)
    assert response.status_code == 409
    assert response.get_json()["error_code"] == "PRICE_STALE"


def test_bad_requests(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    for body in (
        {"symbol": "EURUSD", "side": "BUY"},
        {"symbol": "EURUSD", "side": "HOLD", "lots": 0.1},
        {"symbol": "EURUSD", "side": "BUY", "lots": 0.001},
        {"symbol": "EURUSD", "side": "BUY", "lots": "0.1"},
        {"symbol": "EURUSD", "side": "BUY", "lots": 0.1, "price": 1.1},
    ):
        response = client.post("/api/margin/check", json=body, headers=trader["headers"])
        assert response.status_code == 422, body
    response = client.post(
        "/api/margin/check", json={"symbol": "ABCDEF", "side": "BUY", "lots": 0.1},
        headers=trader["headers"],
    )  # fmt: skip
    assert (response.status_code, response.get_json()["error_code"]) == (422, "UNKNOWN_SYMBOL")
    assert client.post("/api/margin/check", json={}).status_code == 401
