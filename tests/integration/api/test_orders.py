"""POST /api/orders: every refusal has its error_code and books nothing; bad input never 500s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from domain.errors import MarketClosed
from domain.positions import Side
from models import db
from services.booking import collaborators_from
from services.orders import OrderRequest, place_market_order
from tests.helpers import new_trader
from tests.invariants import assert_ledger_invariants
from tests.quotes import put_market, put_quote
from webapp.errors import handle_domain_error


def _counts(app: Flask) -> tuple[int, int, int, int]:
    with app.app_context():
        row = db.session.execute(text(
            "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM fills),"
            " (SELECT count(*) FROM positions), (SELECT count(*) FROM ledger_entries)"
        )).one()  # fmt: skip
        db.session.rollback()
    return (row[0], row[1], row[2], row[3])


@pytest.fixture
def trader(client: FlaskClient, redis_client: redis.Redis) -> dict[str, Any]:
    put_market(redis_client)
    return new_trader(client)


def _post_raw(client: FlaskClient, trader: dict[str, Any], raw: str) -> Any:
    return client.post("/api/orders", data=raw, content_type="application/json",
                       headers=trader["headers"])  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "status", "error_code", "field"),
    [
        ('{"symbol": "EURUSD", "side": "BUY", "lots": NaN}', 400, "INVALID_JSON", None),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": Infinity}', 400, "INVALID_JSON", None),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": -Infinity}', 400, "INVALID_JSON", None),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": 1e400}', 422, "VALIDATION_ERROR", "lots"),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": -0.1}', 422, "VALIDATION_ERROR", "lots"),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": 0}', 422, "VALIDATION_ERROR", "lots"),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": 0.001}', 422, "VALIDATION_ERROR", "lots"),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": 0.123}', 422, "VALIDATION_ERROR", "lots"),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": "0.1"}', 422, "VALIDATION_ERROR", "lots"),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": true}', 422, "VALIDATION_ERROR", "lots"),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": 100000}', 422, "VALIDATION_ERROR", "lots"),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": 0.1, "price": 1.1}', 422,
         "VALIDATION_ERROR", "price"),
        ('{"symbol": "EURUSD", "side": "HOLD", "lots": 0.1}', 422, "VALIDATION_ERROR", "side"),
        ('{"symbol": "eurusd", "side": "BUY", "lots": 0.1}', 422, "VALIDATION_ERROR", "symbol"),
        ('{"symbol": "EURUSD", "side": "BUY", "side": "SELL", "lots": 0.1}', 400,
         "INVALID_JSON", None),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": 0.1, "price_bound": -1}', 422,
         "VALIDATION_ERROR", "price_bound"),
        ('{"symbol": "EURUSD", "side": "BUY", "lots": 0.1, "client_order_id": ""}', 422,
         "VALIDATION_ERROR", "client_order_id"),
        ('{"symbol": "EURUSD", "side": "BUY"}', 422, "VALIDATION_ERROR", "lots"),
        ("[]", 422, "VALIDATION_ERROR", None),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_books_nothing(
    app: Flask, client: FlaskClient, trader: dict[str, Any],
    raw: str, status: int, error_code: str, field: str | None,
) -> None:  # fmt: skip
    before = _counts(app)
    response = _post_raw(client, trader, raw)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error_code"] == error_code
    if field is not None:
        assert field in body["errors"]
    assert _counts(app) == before


@pytest.mark.parametrize(
    ("order", "status", "error_code"),
    [
        ({"symbol": "ZZZUSD", "side": "BUY", "lots": 0.1}, 422, "UNKNOWN_SYMBOL"),
        ({"symbol": "EURUSD", "side": "BUY", "lots": 51}, 422, "INVALID_LOTS"),
        ({"symbol": "EURUSD", "side": "BUY", "lots": 50, "price_bound": 1.1}, 409,
         "PRICE_BOUND_EXCEEDED"),
        ({"symbol": "EURUSD", "side": "SELL", "lots": 0.1, "price_bound": 1.2}, 409,
         "PRICE_BOUND_EXCEEDED"),
        ({"symbol": "XAUUSD", "side": "BUY", "lots": 50}, 409, "INSUFFICIENT_MARGIN"),
        ({"symbol": "NZDUSD", "side": "BUY", "lots": 0.1}, 409, "PRICE_STALE"),
    ],
)  # fmt: skip
def test_refusals_carry_their_error_code_and_book_nothing(
    app: Flask, client: FlaskClient, redis_client: redis.Redis, trader: dict[str, Any],
    order: dict[str, Any], status: int, error_code: str,
) -> None:  # fmt: skip
    put_quote(redis_client, "NZDUSD", "0.60000", "0.60002", age=timedelta(seconds=60))
    before = _counts(app)
    response = client.post("/api/orders", json=order, headers=trader["headers"])
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error_code"] == error_code
    assert _counts(app) == before


def test_a_symbol_with_no_quote_at_all_is_price_stale(
    app: Flask, client: FlaskClient, trader: dict[str, Any]
) -> None:
    response = client.post("/api/orders", json={"symbol": "GBPCHF", "side": "BUY", "lots": 0.1},
                           headers=trader["headers"])  # fmt: skip
    assert response.status_code == 409
    assert response.get_json()["error_code"] == "PRICE_STALE"


def test_disabled_account_cannot_trade(
    app: Flask, client: FlaskClient, trader: dict[str, Any]
) -> None:
    with app.app_context():
        db.session.execute(text("UPDATE accounts SET status = 'disabled'"))
        db.session.commit()
    before = _counts(app)
    response = client.post("/api/orders", json={"symbol": "EURUSD", "side": "BUY", "lots": 0.1},
                           headers=trader["headers"])  # fmt: skip
    assert response.status_code == 403
    assert response.get_json()["error_code"] == "ACCOUNT_DISABLED"
    assert _counts(app) == before


def test_closed_market_is_refused(app: Flask, client: FlaskClient, trader: dict[str, Any]) -> None:
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    account_id = client.get("/api/account", headers=trader["headers"]).get_json()["id"]
    with app.app_context():
        config = {**app.config, "ENFORCE_MARKET_HOURS": True}
        deps = collaborators_from(config, db.engine, app.extensions["redis"])
        request = OrderRequest(account_id, "EURUSD", Side.BUY, Decimal("0.1"))
        with pytest.raises(MarketClosed) as refused:
            place_market_order(deps, request, saturday)
        response = handle_domain_error(refused.value)
    assert response.status_code == 409
    assert response.get_json()["error_code"] == "MARKET_CLOSED"
    assert _counts(app)[0] == 0


def test_price_bound_at_the_fill_price_is_accepted(
    app: Flask, client: FlaskClient, trader: dict[str, Any]
) -> None:
    # put_market: raw EURUSD 1.10000 / 1.10002, markup 10 points -> client ask 1.10007.
    response = client.post(
        "/api/orders",
        json={"symbol": "EURUSD", "side": "BUY", "lots": 0.1, "price_bound": 1.10007},
        headers=trader["headers"],
    )
    assert response.status_code == 201
    assert response.get_json()["fill"]["price"] == "1.10007"
    with app.app_context():
        assert_ledger_invariants()
