"""The older frontend's paths: sim/fill at the server's price only, snapshot, close and exit.

EURUSD client bid/ask 1.09995/1.10007 (put_market).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from config import TestingConfig
from models import Fill, Order, Position, db
from tests.helpers import new_trader
from tests.quotes import put_market

FILL = {"symbol": "EURUSD", "side": "BUY", "lots": 0.1}


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        count: int = db.session.scalar(select(func.count()).select_from(model))
        return count


def _fill(client: FlaskClient, trader: dict[str, Any], **changes: Any) -> dict[str, Any]:
    response = client.post("/api/sim/fill", json={**FILL, **changes}, headers=trader["headers"])
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def test_sim_fill_books_at_the_server_ask(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    body = {**FILL, "client_order_id": "seed-1"}
    response = client.post("/api/sim/fill", json=body, headers=trader["headers"])
    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert (result["fill"]["price"], result["order"]["reason"]) == ("1.10007", "client")
    assert result["account"]["used_margin"] == "110.00"
    again = client.post("/api/sim/fill", json=body, headers=trader["headers"])
    assert again.status_code == 201
    assert again.get_json()["order"]["id"] == result["order"]["id"]


@pytest.mark.parametrize("field", ["price", "fill_price", "entry_price", "exit_price", "Price"])
def test_sim_fill_refuses_any_client_price(
    app: Flask, client: FlaskClient, redis_client: Any, field: str
) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    response = client.post("/api/sim/fill", json={**FILL, field: 1.0}, headers=trader["headers"])
    assert response.status_code == 422
    body = response.get_json()
    assert body["error_code"] == "VALIDATION_ERROR"
    assert "server's bid/ask" in body["errors"][field][0]
    assert _count(app, Order) == _count(app, Fill) == _count(app, Position) == 0


def test_sim_fill_is_404_when_disabled(
    client: FlaskClient, redis_client: Any, test_urls: dict[str, str]
) -> None:
    from webapp import create_app

    put_market(redis_client)
    trader = new_trader(client)
    disabled = create_app(TestingConfig, overrides={**test_urls, "SIM_FILL_ENABLED": False})
    other = disabled.test_client()
    for body in (FILL, {**FILL, "price": 1.0}):
        response = other.post("/api/sim/fill", json=body, headers=trader["headers"])
        assert (response.status_code, response.get_json()["error_code"]) == (404, "NOT_FOUND")
    assert other.post("/api/orders", json=FILL, headers=trader["headers"]).status_code == 201


def test_snapshot_values_account_and_positions(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    _fill(client, trader)
    response = client.get("/api/positions/snapshot", headers=trader["headers"])
    assert response.status_code == 200, response.get_json()
    snapshot = response.get_json()
    # valued at the bid: (1.09995 - 1.10007) x 10000 = -1.20
    assert snapshot["account"]["unrealized_pnl"] == "-1.20"
    assert snapshot["account"]["equity"] == "99998.80"
    (position,) = snapshot["positions"]
    assert (position["symbol"], position["current_price"], position["unrealized_pnl"]) == (
        "EURUSD", "1.09995", "-1.20",
    )  # fmt: skip


def test_close_alias_closes_part_of_a_position(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    _fill(client, trader, lots=0.3)
    response = client.post(
        "/api/positions/close", json={"symbol": "EURUSD", "lots": 0.1}, headers=trader["headers"]
    )
    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert (result["position"]["lots"], result["fill"]["realized_pnl"]) == ("0.20", "-1.20")


def test_exit_closes_own_position_by_id(app: Flask, client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    opened = _fill(client, trader)
    position_id = opened["position"]["id"]
    response = client.post(
        "/api/positions/exit", json={"position_id": position_id}, headers=trader["headers"]
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["position"]["status"] == "closed"
    again = client.post(
        "/api/positions/exit", json={"position_id": position_id}, headers=trader["headers"]
    )
    assert (again.status_code, again.get_json()["error_code"]) == (404, "POSITION_NOT_FOUND")


def test_exit_with_another_users_position_is_404_and_changes_nothing(
    app: Flask, client: FlaskClient, redis_client: Any
) -> None:
    put_market(redis_client)
    owner, intruder = new_trader(client), new_trader(client)
    opened = _fill(client, owner)
    body = {"position_id": opened["position"]["id"]}
    response = client.post("/api/positions/exit", json=body, headers=intruder["headers"])
    assert (response.status_code, response.get_json()["error_code"]) == (404, "POSITION_NOT_FOUND")
    with app.app_context():
        position = db.session.get_one(Position, body["position_id"])
        assert (position.status.value, position.lots) == ("open", Decimal("0.10"))
    assert _count(app, Order) == 1
    for trader, txn_seq in ((owner, 2), (intruder, 1)):
        account = client.get("/api/account", headers=trader["headers"]).get_json()
        assert account["txn_seq"] == txn_seq


@pytest.mark.parametrize("body", [{}, {"position_id": "1"}, {"position_id": 0}, {"id": 1}])
def test_exit_refuses_bad_bodies(client: FlaskClient, body: dict[str, Any]) -> None:
    trader = new_trader(client)
    response = client.post("/api/positions/exit", json=body, headers=trader["headers"])
    assert (response.status_code, response.get_json()["error_code"]) == (422, "VALIDATION_ERROR")
