"""Positions over HTTP: listing valued live, partial and full closes booked through the ledger.

Quotes from put_market: EURUSD raw 1.10000/1.10002, markup 10 points, so the client bid/ask are
1.09995/1.10007. Account USD, leverage 100, contract 100000; EURUSD PnL is already in USD.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from domain.records import LedgerKind
from models import LedgerEntry, Order, Position, db
from tests.helpers import new_trader
from tests.quotes import put_market, put_quote


def _order(client: FlaskClient, trader: dict[str, Any], side: str, lots: float) -> dict[str, Any]:
    body = {"symbol": "EURUSD", "side": side, "lots": lots}
    response = client.post("/api/orders", json=body, headers=trader["headers"])
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def _account(client: FlaskClient, trader: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/api/account", headers=trader["headers"]).get_json()
    return body


def _ledger(app: Flask, account_id: int) -> tuple[Decimal, list[tuple[str, Decimal]]]:
    with app.app_context():
        total = db.session.scalar(
            select(func.sum(LedgerEntry.amount)).where(LedgerEntry.account_id == account_id)
        )
        rows = db.session.execute(
            select(LedgerEntry.kind, LedgerEntry.amount)
            .where(LedgerEntry.account_id == account_id)
            .order_by(LedgerEntry.txn_seq)
        ).all()
        return total, [(kind.value, amount) for kind, amount in rows]


def test_partial_then_full_close_books_realized_pnl(
    app: Flask, client: FlaskClient, redis_client: Any
) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    _order(client, trader, "BUY", 0.2)  # at the ask 1.10007
    put_quote(redis_client, "EURUSD", "1.10100", "1.10102")  # client bid 1.10095

    partial = client.post(
        "/api/positions/EURUSD/close", json={"lots": 0.1}, headers=trader["headers"]
    )
    assert partial.status_code == 201, partial.get_json()
    body = partial.get_json()
    # (1.10095 - 1.10007) x 0.1 x 100000 = 8.80 USD; the fill records the quote it was priced
    # from and the rate of its PnL (USD -> USD: 1)
    dynamic = {"id": 0, "order_id": 0, "position_id": 0, "created_at": "", "quote_at": ""}
    assert body["fill"] | dynamic == dynamic | {
        "symbol": "EURUSD", "side": "SELL", "lots": "0.10", "price": "1.10095",
        "realized_pnl": "8.80", "txn_seq": 3, "quote_bid": "1.10095", "quote_ask": "1.10107",
        "conversion_rate": "1",
    }  # fmt: skip
    assert body["order"]["reason"] == "close"
    assert body["position"]["lots"] == "0.10"
    assert body["position"]["status"] == "open"
    assert body["account"]["balance"] == "100008.80"

    full = client.post("/api/positions/EURUSD/close", headers=trader["headers"])
    assert full.status_code == 201, full.get_json()
    body = full.get_json()
    assert body["fill"]["realized_pnl"] == "8.80"
    assert body["position"]["status"] == "closed"
    assert body["position"]["close_reason"] == "close"
    assert body["position"]["realized_pnl"] == "17.60"
    assert body["account"]["balance"] == "100017.60"
    assert body["account"]["used_margin"] == "0.00"

    total, entries = _ledger(app, body["account"]["id"])
    assert entries == [
        ("deposit", Decimal("100000.00")),
        ("realized_pnl", Decimal("8.80")),
        ("realized_pnl", Decimal("8.80")),
    ]
    assert total == Decimal("100017.60") == Decimal(_account(client, trader)["balance"])
    assert client.get("/api/positions", headers=trader["headers"]).get_json() == []


def test_close_of_a_short_buys_at_the_ask(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    _order(client, trader, "SELL", 0.1)  # at the bid 1.09995
    response = client.post("/api/positions/EURUSD/close", json={}, headers=trader["headers"])
    assert response.status_code == 201, response.get_json()
    fill = response.get_json()["fill"]
    # bought back at the ask 1.10007: (1.10007 - 1.09995) x -0.1 x 100000 = -1.20
    assert (fill["side"], fill["price"], fill["realized_pnl"]) == ("BUY", "1.10007", "-1.20")


def test_close_more_than_held_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, redis_client: Any
) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    _order(client, trader, "BUY", 0.1)
    response = client.post(
        "/api/positions/EURUSD/close", json={"lots": 0.2}, headers=trader["headers"]
    )
    assert response.status_code == 422
    assert response.get_json()["error_code"] == "INVALID_LOTS"
    account = _account(client, trader)
    assert account["txn_seq"] == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        position = db.session.scalars(select(Position)).one()
        assert (position.lots, position.status.value) == (Decimal("0.10"), "open")


def test_close_without_a_position_is_404(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    for url, body in (
        ("/api/positions/EURUSD/close", None),
        ("/api/positions/close", {"symbol": "EURUSD"}),
    ):
        response = client.post(url, json=body, headers=trader["headers"])
        assert response.status_code == 404, url
        assert response.get_json()["error_code"] == "POSITION_NOT_FOUND"


def test_close_refuses_bad_bodies(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    _order(client, trader, "BUY", 0.1)
    for body in ({"lots": "0.1"}, {"lots": 0}, {"lots": 0.001}, {"lots": 0.1, "price": 1.2}):
        response = client.post("/api/positions/EURUSD/close", json=body, headers=trader["headers"])
        assert response.status_code == 422, body
        assert response.get_json()["error_code"] == "VALIDATION_ERROR"
    assert _account(client, trader)["txn_seq"] == 2


def test_positions_are_valued_at_the_current_price(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    long_trader, short_trader = new_trader(client), new_trader(client)
    _order(client, long_trader, "BUY", 0.1)  # 1.10007
    _order(client, short_trader, "SELL", 0.1)  # 1.09995
    put_quote(redis_client, "EURUSD", "1.10200", "1.10202")  # client 1.10195 / 1.10207

    (long_position,) = client.get("/api/positions", headers=long_trader["headers"]).get_json()
    # (1.10195 - 1.10007) x 0.1 x 100000 = 18.80; margin 10000 EUR x mid 1.10201 / 100 = 110.20
    assert long_position["current_price"] == "1.10195"
    assert long_position["unrealized_pnl"] == "18.80"
    assert long_position["used_margin"] == "110.20"
    assert long_position["avg_price"] == "1.10007"

    short = client.get("/api/positions/EURUSD", headers=short_trader["headers"])
    assert short.status_code == 200
    # shorts close at the ask: (1.10207 - 1.09995) x -0.1 x 100000 = -21.20
    assert short.get_json()["current_price"] == "1.10207"
    assert short.get_json()["unrealized_pnl"] == "-21.20"
    assert _account(client, short_trader)["unrealized_pnl"] == "-21.20"


def test_one_position_by_symbol_is_404_when_none(client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    for symbol in ("EURUSD", "SNAPSHOT"):
        response = client.get(f"/api/positions/{symbol}", headers=trader["headers"])
        assert response.status_code == 404
        assert response.get_json()["error_code"] == "POSITION_NOT_FOUND"


def test_positions_need_a_token(client: FlaskClient) -> None:
    for url in ("/api/positions", "/api/positions/snapshot", "/api/positions/EURUSD"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.get_json()["error_code"] == "TOKEN_MISSING"


def test_ledger_invariant_after_many_closes(
    app: Flask, client: FlaskClient, redis_client: Any
) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    _order(client, trader, "BUY", 0.5)
    for bid, lots in (("1.10050", 0.1), ("1.09950", 0.2), ("1.10013", None)):
        put_quote(redis_client, "EURUSD", bid, str(Decimal(bid) + Decimal("0.00002")))
        body = {} if lots is None else {"lots": lots}
        response = client.post("/api/positions/EURUSD/close", json=body, headers=trader["headers"])
        assert response.status_code == 201, response.get_json()
    account = _account(client, trader)
    total, entries = _ledger(app, account["id"])
    # 0.1 x (1.10045 - 1.10007) + 0.2 x (1.09945 - 1.10007) + 0.2 x (1.10008 - 1.10007), x 100000
    assert [amount for kind, amount in entries if kind == LedgerKind.REALIZED_PNL.value] == [
        Decimal("3.80"),
        Decimal("-12.40"),
        Decimal("0.20"),
    ]
    assert total == Decimal(account["balance"]) == Decimal("99991.60")


def test_a_position_above_the_largest_order_closes_in_chunks(
    app: Flask, client: FlaskClient, redis_client: Any
) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    _order(client, trader, "BUY", 30)
    _order(client, trader, "BUY", 30)  # 60 lots: more than one order may close (max 50)
    response = client.post("/api/positions/EURUSD/close", headers=trader["headers"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["fill"]["lots"], body["position"]["status"]) == ("10.00", "closed")
    assert body["position"]["realized_pnl"] == "-720.00"  # 60 x 100000 x -0.00012
    with app.app_context():
        closes = db.session.scalars(select(Order.lots).where(Order.reason == "close")).all()
        assert sorted(closes) == [Decimal(10), Decimal(50)]
    total, _entries = _ledger(app, body["account"]["id"])
    assert total == Decimal(body["account"]["balance"]) == Decimal("99280.00")
