"""A market order over HTTP: filled at the server's ask, booked, and the account updated."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.helpers import new_trader
from tests.quotes import put_market


def test_buy_fills_at_the_server_ask(client: FlaskClient, redis_client) -> None:  # type: ignore[no-untyped-def]
    put_market(redis_client)
    trader = new_trader(client)
    response = client.post(
        "/api/orders",
        json={"symbol": "EURUSD", "side": "BUY", "lots": 0.1},
        headers=trader["headers"],
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    # raw ask 1.10002 + half of 10 points markup (0.00005) = 1.10007
    assert body["fill"]["price"] == "1.10007"
    assert body["position"]["lots"] == "0.10"
    assert body["account"]["balance"] == "100000.00"
    assert body["account"]["txn_seq"] == 2
    account = client.get("/api/account", headers=trader["headers"]).get_json()
    assert account["used_margin"] == "110.00"
