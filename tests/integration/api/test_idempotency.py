"""Generated from the app's URL map: every request that moves money, sent again with the same
key (`client_order_id`, or the `Idempotency-Key` header), answers the first response and changes
nothing; the same key with another body is refused and changes nothing.

A new POST/PUT/PATCH/DELETE route under /api that is in neither MONEY nor NO_MONEY fails
`test_every_writing_route_is_classified`: whoever adds one decides here whether it moves money.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from domain.records import OrderReason
from models import db
from services.booking import book
from services.positions import CloseRequest
from tests.helpers import admin_headers, new_trader
from tests.quotes import put_market
from tests.scenarios import collaborators, now

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Replay:
    """A money-moving call: how to prepare the account, the call (with its key) and a variant
    of the body that reuses the key for another request."""

    path: str
    body: dict[str, Any]
    other_body: dict[str, Any]
    key_header: bool = False  # the key travels in Idempotency-Key, not in the body
    prepare: tuple[dict[str, Any], ...] = ()  # orders placed first


BUY_1 = {"symbol": "EURUSD", "side": "BUY", "lots": 1}
MONEY: dict[str, Replay] = {
    "/api/orders": Replay("/api/orders", {**BUY_1, "client_order_id": "o-1"}, {**BUY_1, "lots": 2}),
    "/api/sim/fill": Replay(
        "/api/sim/fill", {**BUY_1, "client_order_id": "s-1"}, {**BUY_1, "side": "SELL"}
    ),
    "/api/positions/close": Replay(
        "/api/positions/close",
        {"symbol": "EURUSD", "lots": 0.5, "client_order_id": "c-1"},
        {"symbol": "EURUSD", "lots": 0.25},
        prepare=(BUY_1,),
    ),
    "/api/positions/<symbol:symbol>/close": Replay(
        "/api/positions/EURUSD/close",
        {"lots": 0.5, "client_order_id": "c-2"},
        {"lots": 0.25},
        prepare=(BUY_1,),
    ),
    "/api/positions/exit": Replay(
        "/api/positions/exit",
        {"position_id": 1, "client_order_id": "x-1"},
        {"position_id": 2},
        prepare=(BUY_1, {"symbol": "GBPUSD", "side": "SELL", "lots": 1}),
    ),
    "/api/admin/accounts/<int:account_id>/adjustments": Replay(
        "/api/admin/accounts/1/adjustments",
        {"kind": "deposit", "amount": 250.00, "reason": "wire 42"},
        {"kind": "deposit", "amount": 250.01, "reason": "wire 42"},
        key_header=True,
    ),
}
NO_MONEY: dict[str, str] = {
    "/api/auth/register": "opens an account with the configured demo balance: a new user each time",
    "/api/auth/login": "issues tokens",
    "/api/auth/refresh": "issues a token",
    "/api/auth/logout": "revokes tokens; a second logout is a no-op",
    "/api/margin/check": "a what-if: books nothing",
    "/api/ws/ticket": "issues a one-time ticket",
}


def _writing_routes(app: Flask) -> set[str]:
    return {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and WRITES & (rule.methods or set())
    }


def test_every_writing_route_is_classified(app: Flask) -> None:
    unclassified = _writing_routes(app) - set(MONEY) - set(NO_MONEY)
    assert not unclassified, f"add these routes to MONEY or NO_MONEY in {__file__}: {unclassified}"
    assert not set(MONEY) & set(NO_MONEY)


def _books(app: Flask) -> tuple[Any, ...]:
    """Everything booked: row counts and every balance."""
    with app.app_context():
        counts = db.session.execute(
            text(
                "SELECT (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM fills),"
                " (SELECT COUNT(*) FROM ledger_entries), (SELECT COUNT(*) FROM positions),"
                " (SELECT array_agg(balance ORDER BY id) FROM accounts),"
                " (SELECT array_agg(lots ORDER BY id) FROM positions)"
            )
        ).one()
        db.session.rollback()
    return tuple(counts)


@pytest.mark.parametrize("rule", sorted(MONEY))
def test_a_replay_returns_the_first_response_and_changes_nothing(
    app: Flask, client: FlaskClient, redis_client: redis.Redis, rule: str
) -> None:
    replay = MONEY[rule]
    put_market(redis_client)
    trader = new_trader(client)  # account 1
    headers = dict(trader["headers"])
    for order in replay.prepare:
        assert client.post("/api/orders", json=order, headers=headers).status_code == 201
    if replay.key_header:
        headers = {**admin_headers(app, client), "Idempotency-Key": "deposit-2026-12-04#1"}

    first = client.post(replay.path, json=replay.body, headers=headers)
    assert first.status_code == 201, first.get_json()
    booked = _books(app)

    again = client.post(replay.path, json=replay.body, headers=headers)

    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert _books(app) == booked
    if replay.key_header:
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers

    other_body = replay.other_body if replay.key_header else replay.other_body | _key(replay)
    other = client.post(replay.path, json=other_body, headers=headers)
    assert other.status_code == 409, other.get_json()
    expected = "IDEMPOTENCY_KEY_REUSED" if replay.key_header else "DUPLICATE_CLIENT_ORDER_ID"
    assert other.get_json()["error_code"] == expected
    assert _books(app) == booked


def _key(replay: Replay) -> dict[str, Any]:
    return {"client_order_id": replay.body["client_order_id"]}


def test_a_retried_partial_close_closes_once(
    app: Flask, client: FlaskClient, redis_client: redis.Redis
) -> None:
    """The retried {"lots": 0.5} after a lost response must not close 1.0."""
    put_market(redis_client)
    trader = new_trader(client)
    assert client.post("/api/orders", json=BUY_1, headers=trader["headers"]).status_code == 201
    close = {"lots": 0.5, "client_order_id": "half"}
    for _ in range(3):
        response = client.post("/api/positions/EURUSD/close", json=close, headers=trader["headers"])
        assert response.status_code == 201
    held = client.get("/api/positions/EURUSD", headers=trader["headers"]).get_json()
    assert held["lots"] == "0.50"


def test_a_split_close_resumes_where_a_failure_left_it(
    app: Flask, client: FlaskClient, redis_client: redis.Redis
) -> None:
    """A close above the largest order (50 lots) is booked as ID, ID:1, ...; if only the first
    part was booked before a failure, the retry replays it and books only the rest."""
    put_market(redis_client)
    trader = new_trader(client)
    deposit: Callable[[str], Any] = lambda key: client.post(  # noqa: E731
        "/api/admin/accounts/1/adjustments",
        json={"kind": "deposit", "amount": 1000000, "reason": "room for 120 lots"},
        headers={**admin_headers(app, client), "Idempotency-Key": key},
    )
    assert deposit("funding").status_code == 201
    for lots in (50, 50, 20):
        order = {**BUY_1, "lots": lots}
        assert client.post("/api/orders", json=order, headers=trader["headers"]).status_code == 201
    with app.app_context():  # the first part only, as the interrupted request booked it
        first_part = CloseRequest(
            1, position_symbol="EURUSD", lots=Decimal(120), reason=OrderReason.CLOSE,
            client_order_id="big",
        )  # fmt: skip
        book(collaborators(redis_client), first_part, now())

    retried = client.post(
        "/api/positions/EURUSD/close",
        json={"lots": 120, "client_order_id": "big"},
        headers=trader["headers"],
    )

    assert retried.status_code == 201, retried.get_json()
    assert retried.get_json()["position"]["lots"] == "0.00"
    orders = client.get("/api/orders?limit=10", headers=trader["headers"]).get_json()["items"]
    closes = sorted((o["client_order_id"], o["lots"]) for o in orders if o["client_order_id"])
    assert closes == [("big", "50.00"), ("big:1", "50.00"), ("big:2", "20.00")]


def test_an_invalid_idempotency_key_is_refused_and_books_nothing(
    app: Flask, client: FlaskClient
) -> None:
    new_trader(client)
    headers = admin_headers(app, client)
    booked = _books(app)
    for key in ("", "x" * 129, "tab\tinside", "é"):
        response = client.post(
            "/api/admin/accounts/1/adjustments",
            json={"kind": "deposit", "amount": 1, "reason": "r"},
            headers={**headers, "Idempotency-Key": key},
        )
        assert response.status_code == 422, (key, response.get_json())
        assert "Idempotency-Key" in response.get_json()["errors"]
    assert _books(app) == booked


def test_add_capital_with_a_key_books_once(app: Flask, client: FlaskClient, runner: Any) -> None:
    trader = new_trader(client)
    command = ["accounts", "add-capital", trader["username"], "500", "--idempotency-key", "k1"]
    first = runner.invoke(args=command)
    assert first.exit_code == 0, first.output
    booked = _books(app)
    again = runner.invoke(args=command)
    assert again.exit_code == 0, again.output
    assert again.output.startswith("already booked under this key: deposited 500.00 USD")
    assert _books(app) == booked
    other = runner.invoke(args=[*command[:3], "501", *command[4:]])
    assert other.exit_code == 1
    assert "idempotency key 'k1' was already used" in other.output
    assert _books(app) == booked
