"""Concurrent orders over real HTTP: nothing lost, nothing doubled, no sequence gaps."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import requests
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import new_trader
from tests.invariants import assert_ledger_invariants
from tests.quotes import put_market
from tests.server import serve

CLIENTS = 20
ORDERS = 200


def test_200_concurrent_orders_on_one_account(
    app: Flask, client: FlaskClient, redis_client
) -> None:  # type: ignore[no-untyped-def]
    put_market(redis_client)
    trader = new_trader(client)
    sides = itertools.cycle(["BUY", "BUY", "SELL"])
    symbols = itertools.cycle(["EURUSD", "USDJPY", "XAUUSD", "EURGBP"])
    bodies = [
        {"symbol": next(symbols), "side": next(sides), "lots": Decimal("0.01") * (1 + i % 3)}
        for i in range(ORDERS)
    ]
    with serve(app) as base, requests.Session() as http:
        http.headers.update(trader["headers"])

        def place(body: dict) -> int:  # type: ignore[type-arg]
            payload = {**body, "lots": float(body["lots"])}  # exact: 0.01..0.03 survive JSON
            return http.post(f"{base}/api/orders", json=payload, timeout=60).status_code

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            statuses = list(pool.map(place, bodies))

    assert statuses == [201] * ORDERS
    with app.app_context():
        assert_ledger_invariants()
        from sqlalchemy import text

        from models import Account, Order, db

        account = db.session.query(Account).one()
        assert db.session.query(Order).count() == ORDERS
        # Every order has its fills: one, or two when it crossed zero, summing to its lots.
        per_order = db.session.execute(text(
            "SELECT o.id, o.lots, count(f.id), COALESCE(sum(f.lots), 0)"
            " FROM orders o LEFT JOIN fills f ON f.order_id = o.id GROUP BY o.id, o.lots"
        )).all()  # fmt: skip
        assert len(per_order) == ORDERS
        assert all(fills in (1, 2) and lots == filled for _, lots, fills, filled in per_order)
        # One deposit at signup, then one transaction per order.
        assert account.txn_seq == ORDERS + 1


def test_same_client_order_id_50_times_books_one_fill(
    app: Flask, client: FlaskClient, redis_client
) -> None:  # type: ignore[no-untyped-def]
    put_market(redis_client)
    trader = new_trader(client)
    body = {"symbol": "EURUSD", "side": "BUY", "lots": 0.25, "client_order_id": "retry-me-1"}
    with serve(app) as base, requests.Session() as http:
        http.headers.update(trader["headers"])

        def place(_: int) -> tuple[int, str]:
            response = http.post(f"{base}/api/orders", json=body, timeout=60)
            return response.status_code, response.text

        with ThreadPoolExecutor(max_workers=25) as pool:
            answers = list(pool.map(place, range(50)))

    assert len(set(answers)) == 1, set(answers)
    assert answers[0][0] == 201
    with app.app_context():
        from models import Fill, db

        assert db.session.query(Fill).count() == 1
        assert_ledger_invariants()

    changed = client.post("/api/orders", json={**body, "lots": 0.5}, headers=trader["headers"])
    assert changed.status_code == 409
    assert changed.get_json()["error_code"] == "DUPLICATE_CLIENT_ORDER_ID"
