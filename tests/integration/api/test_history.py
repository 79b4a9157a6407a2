"""History over HTTP: orders, fills, ledger, closed positions and changes, scoped to the caller."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from models import Order, db
from tests.helpers import new_trader
from tests.quotes import put_market

# EURUSD client prices from put_market: bid 1.10000 - 0.00005, ask 1.10002 + 0.00005.
EURUSD_BID, EURUSD_ASK = "1.09995", "1.10007"
# Buy 0.1 at the ask, sell 0.1 at the bid: (1.09995 - 1.10007) * 10,000 units.
ROUND_TRIP_PNL = "-1.20"


@pytest.fixture
def market(redis_client: Any) -> None:
    put_market(redis_client)


def place(client: FlaskClient, trader: dict[str, Any], symbol: str, side: str, lots: float) -> Any:
    response = client.post(
        "/api/orders",
        json={"symbol": symbol, "side": side, "lots": lots},
        headers=trader["headers"],
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def get(client: FlaskClient, trader: dict[str, Any], url: str, **params: Any) -> Any:
    response = client.get(url, query_string=params, headers=trader["headers"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def round_trip(client: FlaskClient, trader: dict[str, Any]) -> tuple[Any, Any]:
    """Open and close 0.1 EURUSD: transactions 2 and 3 (1 is the signup deposit)."""
    return place(client, trader, "EURUSD", "BUY", 0.1), place(client, trader, "EURUSD", "SELL", 0.1)


def test_post_and_get_share_the_orders_url(client: FlaskClient, market: None) -> None:
    trader = new_trader(client)
    placed = place(client, trader, "EURUSD", "BUY", 0.1)
    listed = get(client, trader, "/api/orders")
    assert listed == {"items": [placed["order"]], "next_before_id": None}
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/orders"])


def test_orders_newest_first_with_decimal_strings(client: FlaskClient, market: None) -> None:
    trader = new_trader(client)
    first = place(client, trader, "EURUSD", "BUY", 0.1)["order"]
    second = place(client, trader, "USDJPY", "SELL", 1.5)["order"]
    items = get(client, trader, "/api/orders")["items"]
    assert [o["id"] for o in items] == [second["id"], first["id"]]
    assert items[0] == {
        "id": second["id"], "client_order_id": None, "symbol": "USDJPY", "side": "SELL",
        "lots": "1.50", "price_bound": None, "reason": "client", "status": "filled",
        "txn_seq": 3, "created_at": second["created_at"],
    }  # fmt: skip
    assert get(client, trader, "/api/orders/history") == get(client, trader, "/api/orders")


def test_orders_are_paged_by_keyset(client: FlaskClient, market: None) -> None:
    trader = new_trader(client)
    placed = [place(client, trader, "EURUSD", "BUY", 0.1)["order"]["id"] for _ in range(5)]
    pages, cursor = [], None
    while True:
        params = {"limit": 2} if cursor is None else {"limit": 2, "before_id": cursor}
        page = get(client, trader, "/api/orders", **params)
        pages.append([o["id"] for o in page["items"]])
        cursor = page["next_before_id"]
        if cursor is None:
            break
    assert pages == [placed[4:2:-1], placed[2:0:-1], placed[:1]]


@pytest.mark.ledger_tampered(reason="dates an order by hand, out of its transaction order")
def test_orders_filter_by_symbol_and_time(app: Flask, client: FlaskClient, market: None) -> None:
    trader = new_trader(client)
    old = place(client, trader, "EURUSD", "BUY", 0.1)["order"]["id"]
    new = place(client, trader, "GBPUSD", "BUY", 0.1)["order"]["id"]
    with app.app_context():
        moment = datetime(2024, 1, 1, tzinfo=UTC)
        db.session.execute(update(Order).where(Order.id == old).values(created_at=moment))
        db.session.commit()

    def ids(**params: Any) -> list[int]:
        return [o["id"] for o in get(client, trader, "/api/orders", **params)["items"]]

    assert ids(symbol="GBPUSD") == [new]
    assert ids(symbol="USDJPY") == []
    assert ids(**{"from": "2024-06-01T00:00:00Z"}) == [new]
    assert ids(to="2024-06-01T00:00:00+00:00") == [old]
    assert ids(**{"from": "2024-01-01T00:00:00", "to": "2024-01-01T00:00:01"}) == [old]
    assert ids(**{"from": "2024-01-01T00:00:01"}) == [new]  # naive means UTC


def test_one_order_is_only_the_owners(client: FlaskClient, market: None) -> None:
    owner, other = new_trader(client), new_trader(client)
    order = place(client, owner, "EURUSD", "BUY", 0.1)["order"]
    assert get(client, owner, f"/api/orders/{order['id']}") == order
    for order_id in (order["id"], order["id"] + 1000):
        response = client.get(f"/api/orders/{order_id}", headers=other["headers"])
        assert response.status_code == 404
        assert response.get_json()["error_code"] == "NOT_FOUND"


def test_fills_and_ledger_of_a_round_trip(client: FlaskClient, market: None) -> None:
    trader = new_trader(client)
    opened, closed = round_trip(client, trader)
    fills = get(client, trader, "/api/fills")["items"]
    assert fills == [closed["fill"], opened["fill"]]
    assert [(f["side"], f["lots"], f["price"], f["realized_pnl"]) for f in fills] == [
        ("SELL", "0.10", EURUSD_BID, ROUND_TRIP_PNL),
        ("BUY", "0.10", EURUSD_ASK, "0.00"),
    ]
    assert get(client, trader, "/api/fills", symbol="GBPUSD")["items"] == []
    ledger = get(client, trader, "/api/ledger")["items"]
    assert [(e["kind"], e["amount"], e["balance_after"], e["txn_seq"]) for e in ledger] == [
        ("realized_pnl", ROUND_TRIP_PNL, "99998.80", 3),
        ("deposit", "100000.00", "100000.00", 1),
    ]
    assert ledger[0]["reference"] == f"fill:{closed['fill']['id']}"
    deposits = get(client, trader, "/api/ledger", kind="deposit")["items"]
    assert [e["id"] for e in deposits] == [ledger[1]["id"]]


def test_closed_positions_carry_realised_pnl(client: FlaskClient, market: None) -> None:
    trader = new_trader(client)
    opened, _ = round_trip(client, trader)
    place(client, trader, "GBPUSD", "BUY", 0.2)  # still open: not history
    items = get(client, trader, "/api/history/closed")["items"]
    assert len(items) == 1
    position = items[0]
    assert position["id"] == opened["position"]["id"]
    assert (position["status"], position["lots"], position["max_lots"]) == (
        "closed",
        "0.00",
        "0.10",
    )
    assert (position["avg_price"], position["close_price"]) == (EURUSD_ASK, EURUSD_BID)
    assert position["realized_pnl"] == ROUND_TRIP_PNL
    assert position["closed_at"] is not None
    assert get(client, trader, "/api/history/closed", symbol="GBPUSD")["items"] == []
    assert get(client, trader, "/api/history/closed", to="2000-01-01")["items"] == []


def test_changes_after_a_sequence_number(client: FlaskClient, market: None) -> None:
    trader = new_trader(client)
    opened, closed = round_trip(client, trader)
    held = place(client, trader, "GBPUSD", "BUY", 0.2)
    everything = get(client, trader, "/api/account/changes", since=0)
    assert (everything["txn_seq"], everything["last_seq"], everything["complete"]) == (4, 4, True)
    assert [e["txn_seq"] for e in everything["ledger"]] == [1, 3]
    assert everything["positions"] == [held["position"]]
    after_two = get(client, trader, "/api/account/changes", since=2)
    assert after_two["orders"] == [closed["order"], held["order"]]
    assert after_two["fills"] == [closed["fill"], held["fill"]]
    assert [e["txn_seq"] for e in after_two["ledger"]] == [3]
    assert opened["order"] not in after_two["orders"]
    latest = get(client, trader, "/api/account/changes", since=4)
    assert (latest["orders"], latest["fills"], latest["ledger"]) == ([], [], [])
    assert latest["complete"] is True


def test_changes_are_capped_on_whole_transactions(client: FlaskClient, market: None) -> None:
    trader = new_trader(client)
    opened, closed = round_trip(client, trader)
    first = get(client, trader, "/api/account/changes", since=0, limit=2)
    assert (first["complete"], first["last_seq"], first["txn_seq"]) == (False, 2, 3)
    assert first["orders"] == [opened["order"]]
    assert [e["kind"] for e in first["ledger"]] == ["deposit"]
    rest = get(client, trader, "/api/account/changes", since=first["last_seq"], limit=2)
    assert (rest["complete"], rest["last_seq"]) == (True, 3)
    assert rest["orders"] == [closed["order"]]
    assert [e["kind"] for e in rest["ledger"]] == ["realized_pnl"]


LISTS = ("/api/orders", "/api/orders/history", "/api/fills", "/api/ledger", "/api/history/closed")


def test_nothing_leaks_to_another_account(client: FlaskClient, market: None) -> None:
    owner, other = new_trader(client), new_trader(client)
    round_trip(client, owner)
    for url in LISTS:
        items = get(client, other, url)["items"]
        assert all(item.get("kind") == "deposit" for item in items), url
    changes = get(client, other, "/api/account/changes", since=0)
    assert (changes["orders"], changes["fills"], changes["positions"]) == ([], [], [])
    assert len(changes["ledger"]) == 1
    owner_fill = get(client, owner, "/api/fills")["items"][0]["id"]
    assert get(client, other, "/api/fills", before_id=owner_fill + 1)["items"] == []


def test_capital_is_the_account(client: FlaskClient, market: None) -> None:
    trader = new_trader(client)
    place(client, trader, "EURUSD", "BUY", 0.1)
    assert get(client, trader, "/api/capital") == get(client, trader, "/api/account")


BAD_QUERIES = [
    ("/api/orders", {"page": "2"}),
    ("/api/orders", {"limit": "0"}),
    ("/api/orders", {"limit": "1000"}),
    ("/api/orders", {"limit": "abc"}),
    ("/api/orders", {"before_id": "-1"}),
    ("/api/orders/history", {"from": "yesterday"}),
    ("/api/fills", {"to": "2024-13-01"}),
    ("/api/fills", {"from": "2024-02-01", "to": "2024-01-01"}),
    ("/api/fills", {"symbol": "eur/usd"}),
    ("/api/ledger", {"kind": "bonus"}),
    ("/api/history/closed", {"limit": "1.5"}),
    ("/api/account/changes", {}),
    ("/api/account/changes", {"since": "-1"}),
    ("/api/account/changes", {"since": "x"}),
    ("/api/account/changes", {"since": "0", "limit": "0"}),
]


@pytest.mark.parametrize(("url", "params"), BAD_QUERIES)
def test_bad_query_parameters_are_refused(
    client: FlaskClient, url: str, params: dict[str, str]
) -> None:
    trader = new_trader(client)
    response = client.get(url, query_string=params, headers=trader["headers"])
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error_code"] == "VALIDATION_ERROR"
    assert body["errors"]


@pytest.mark.parametrize("url", [*LISTS, "/api/orders/1", "/api/account/changes", "/api/capital"])
def test_history_needs_a_token(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 401
    assert response.get_json()["error_code"] == "TOKEN_MISSING"
