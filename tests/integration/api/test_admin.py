"""Admin endpoints over HTTP: role checks, balance adjustments in the ledger, account pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from models import LedgerEntry, db
from tests.helpers import admin_headers, new_trader
from tests.quotes import put_market


def _account_id(client: FlaskClient, trader: dict[str, Any]) -> int:
    account_id: int = client.get("/api/account", headers=trader["headers"]).get_json()["id"]
    return account_id


def _ledger(app: Flask, account_id: int) -> tuple[int, Decimal]:
    with app.app_context():
        query = select(func.count(), func.sum(LedgerEntry.amount)).where(
            LedgerEntry.account_id == account_id
        )
        count, total = db.session.execute(query).one()
        return count, total


def _adjust(client: FlaskClient, headers: dict[str, str], account_id: int, body: Any) -> Any:
    url = f"/api/admin/accounts/{account_id}/adjustments"
    return client.post(url, json=body, headers=headers)


def test_traders_get_403_and_anonymous_401(client: FlaskClient) -> None:
    trader = new_trader(client)
    body = {"kind": "deposit", "amount": 10, "reason": "x"}
    for headers, status, code in (
        (trader["headers"], 403, "FORBIDDEN"),
        ({}, 401, "TOKEN_MISSING"),
    ):
        response = _adjust(client, headers, 1, body)
        assert (response.status_code, response.get_json()["error_code"]) == (status, code)
        response = client.get("/api/admin/accounts", headers=headers)
        assert (response.status_code, response.get_json()["error_code"]) == (status, code)


def test_every_kind_is_booked_in_the_ledger(app: Flask, client: FlaskClient) -> None:
    admin = admin_headers(app, client)
    trader = new_trader(client)
    account_id = _account_id(client, trader)
    cases = [
        ({"kind": "deposit", "amount": 500.25, "reason": "wire 42"}, "500.25", "100500.25"),
        ({"kind": "withdrawal", "amount": 100, "reason": "payout"}, "-100.00", "100400.25"),
        ({"kind": "adjustment", "amount": -0.5, "reason": "fee fix"}, "-0.50", "100399.75"),
        ({"kind": "adjustment", "amount": 1, "reason": " goodwill "}, "1.00", "100400.75"),
    ]
    for txn_seq, (body, amount, balance) in enumerate(cases, start=2):
        response = _adjust(client, admin, account_id, body)
        assert response.status_code == 201, response.get_json()
        result = response.get_json()
        entry = result["entry"]
        assert (entry["kind"], entry["amount"], entry["balance_after"]) == (
            body["kind"], amount, balance,
        )  # fmt: skip
        assert entry["reason"] == body["reason"].strip()
        assert entry["reference"].startswith("admin:")
        assert entry["txn_seq"] == txn_seq == result["account"]["txn_seq"]
        assert result["account"]["balance"] == balance
    assert _ledger(app, account_id) == (5, Decimal("100400.75"))


BAD_BODIES = [
    {"kind": "deposit", "amount": "NaN", "reason": "x"},
    {"kind": "deposit", "amount": "Infinity", "reason": "x"},
    {"kind": "deposit", "amount": "100", "reason": "x"},
    {"kind": "deposit", "amount": True, "reason": "x"},
    {"kind": "deposit", "amount": -5, "reason": "x"},
    {"kind": "withdrawal", "amount": -5, "reason": "x"},
    {"kind": "deposit", "amount": 0, "reason": "x"},
    {"kind": "adjustment", "amount": 0, "reason": "x"},
    {"kind": "deposit", "amount": 1.005, "reason": "x"},
    {"kind": "deposit", "amount": 1e13, "reason": "x"},
    {"kind": "deposit", "amount": 10},
    {"kind": "deposit", "amount": 10, "reason": ""},
    {"kind": "deposit", "amount": 10, "reason": "   "},
    {"kind": "deposit", "amount": 10, "reason": "x" * 256},
    {"kind": "bonus", "amount": 10, "reason": "x"},
    {"kind": "realized_pnl", "amount": 10, "reason": "x"},
    {"amount": 10, "reason": "x"},
    {"kind": "deposit", "amount": 10, "reason": "x", "currency": "USD"},
    ["deposit", 10],
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_adjustments_are_refused_and_store_nothing(
    app: Flask, client: FlaskClient, body: Any
) -> None:
    admin = admin_headers(app, client)
    account_id = _account_id(client, new_trader(client))
    response = _adjust(client, admin, account_id, body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error_code"] == "VALIDATION_ERROR"
    assert _ledger(app, account_id) == (1, Decimal("100000.00"))


@pytest.mark.parametrize("raw", [b'{"kind": "deposit", "amount": NaN, "reason": "x"}', b"{"])
def test_invalid_json_is_400(app: Flask, client: FlaskClient, raw: bytes) -> None:
    admin = admin_headers(app, client)
    account_id = _account_id(client, new_trader(client))
    response = client.post(
        f"/api/admin/accounts/{account_id}/adjustments", data=raw,
        content_type="application/json", headers=admin,
    )  # fmt: skip
    assert (response.status_code, response.get_json()["error_code"]) == (400, "INVALID_JSON")
    assert _ledger(app, account_id) == (1, Decimal("100000.00"))


def test_unknown_account_is_404(app: Flask, client: FlaskClient) -> None:
    admin = admin_headers(app, client)
    response = _adjust(client, admin, 999999, {"kind": "deposit", "amount": 1, "reason": "x"})
    assert (response.status_code, response.get_json()["error_code"]) == (404, "ACCOUNT_NOT_FOUND")


def test_withdrawal_beyond_free_margin_is_409(
    app: Flask, client: FlaskClient, redis_client: Any
) -> None:
    put_market(redis_client)
    admin = admin_headers(app, client)
    trader = new_trader(client)
    account_id = _account_id(client, trader)
    order = {"symbol": "EURUSD", "side": "BUY", "lots": 0.1}
    assert client.post("/api/orders", json=order, headers=trader["headers"]).status_code == 201
    # free margin 100000 - 1.20 - 110.00 = 99888.80
    body = {"kind": "withdrawal", "amount": 99888.81, "reason": "too much"}
    response = _adjust(client, admin, account_id, body)
    assert (response.status_code, response.get_json()["error_code"]) == (
        409, "INSUFFICIENT_FUNDS",
    )  # fmt: skip
    assert _ledger(app, account_id) == (1, Decimal("100000.00"))
    body["amount"] = 99888.80
    assert _adjust(client, admin, account_id, body).status_code == 201


def test_accounts_are_listed_newest_first_in_keyset_pages(app: Flask, client: FlaskClient) -> None:
    admin = admin_headers(app, client)
    traders = [new_trader(client) for _ in range(3)]
    first = client.get("/api/admin/accounts?limit=2", headers=admin).get_json()
    assert [a["username"] for a in first["accounts"]] == [
        traders[2]["username"], traders[1]["username"],
    ]  # fmt: skip
    newest = first["accounts"][0]
    assert set(newest) == {
        "id", "user_id", "username", "currency", "balance", "leverage", "status", "txn_seq",
    }  # fmt: skip
    assert (newest["currency"], newest["balance"], newest["status"], newest["txn_seq"]) == (
        "USD", "100000.00", "active", 1,
    )  # fmt: skip
    url = f"/api/admin/accounts?limit=2&before_id={first['next_before_id']}"
    second = client.get(url, headers=admin).get_json()
    assert len(second["accounts"]) == 2  # traders[0] and the admin
    assert second["next_before_id"] is None
    assert second["accounts"][0]["username"] == traders[0]["username"]


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=x", "before_id=0", "sort=id"])
def test_bad_account_queries_are_422(app: Flask, client: FlaskClient, query: str) -> None:
    admin = admin_headers(app, client)
    response = client.get(f"/api/admin/accounts?{query}", headers=admin)
    assert (response.status_code, response.get_json()["error_code"]) == (422, "VALIDATION_ERROR")


def test_an_amount_finer_than_the_currency_allows_is_refused(
    app: Flask, client: FlaskClient
) -> None:
    trader = new_trader(client)
    account_id = _account_id(client, trader)
    with app.app_context():
        db.session.execute(text("UPDATE accounts SET currency = 'JPY' WHERE id = :id"),
                           {"id": account_id})  # fmt: skip
        db.session.commit()
    headers = admin_headers(app, client)
    path = f"/api/admin/accounts/{account_id}/adjustments"
    refused = client.post(path, json={"kind": "deposit", "amount": 100.5, "reason": "yen"},
                          headers=headers)  # fmt: skip
    assert refused.status_code == 422
    assert refused.get_json()["error_code"] == "INVALID_AMOUNT"
    booked = client.post(path, json={"kind": "deposit", "amount": 100, "reason": "yen"},
                         headers=headers)  # fmt: skip
    assert booked.status_code == 201, booked.get_json()
