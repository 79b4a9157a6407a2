"""Generated from the app's URL map: every endpoint that takes an id or a symbol, called by a
second user with the first user's ids, answers 404 (403 on admin routes) and changes nothing.

A new route with a path argument (or under /api/admin) that is not in COVERAGE fails
`test_every_route_with_an_argument_is_covered`: whoever adds one decides here how it is scoped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from models import db
from tests.helpers import new_trader
from tests.quotes import put_market


@dataclass(frozen=True)
class Call:
    """How the second user calls a route with the first user's ids, and what it must answer."""

    method: str
    path: str  # formatted with the first user's ids: {order_id}, {position_id}, {symbol}...
    status: int
    body: dict[str, Any] | None = None


EXEMPT = "exempt"
BACK_OFFICE = (
    "back office: a signed-in admin's session only, never a bearer token "
    "(tests/integration/backoffice/test_access.py)"
)

# rule -> Call, or (EXEMPT, why). Rules with path arguments or under /api/admin must be here.
COVERAGE: dict[str, Call | tuple[str, str]] = {
    "/api/docs/assets/<path:filename>": (EXEMPT, "Swagger UI's vendored assets: no user data"),
    "/api/symbols/<string:symbol>": (EXEMPT, "public market data: the same for every user"),
    "/admin/static/<path:filename>": (EXEMPT, "the back office's static files: no user data"),
    "/static/<path:filename>": (EXEMPT, "the trader page's scripts and styles: no user data"),
    **{
        f"/admin/{name}/export/<export_type>/": (EXEMPT, "back office: exports are disabled")
        for name in ("users", "accounts", "positions", "orders", "fills", "ledger")
    },
    "/admin/accounts/<int:account_id>/balance/": (EXEMPT, BACK_OFFICE),
    "/admin/users/<int:user_id>/active/": (EXEMPT, BACK_OFFICE),
    "/api/orders/<int:order_id>": Call("GET", "/api/orders/{order_id}", 404),
    "/api/positions/<symbol:symbol>": Call("GET", "/api/positions/{symbol}", 404),
    "/api/positions/<symbol:symbol>/close": Call("POST", "/api/positions/{symbol}/close", 404, {}),
    "/api/admin/accounts": Call("GET", "/api/admin/accounts", 403),
    "/api/admin/negative-balance-resets": Call("GET", "/api/admin/negative-balance-resets", 403),
    "/api/admin/accounts/<int:account_id>/adjustments": Call(
        "POST",
        "/api/admin/accounts/{account_id}/adjustments",
        403,
        {"kind": "withdrawal", "amount": 100, "reason": "not yours"},
    ),
}

# Endpoints that carry another object's id in the body rather than the path.
BODY_ID_CALLS = [
    Call("POST", "/api/positions/exit", 404, {"position_id": "{position_id}"}),
]


def _rules_needing_coverage(app: Flask) -> set[str]:
    return {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.arguments or rule.rule.startswith("/api/admin")
    }


def test_every_route_with_an_argument_is_covered(app: Flask) -> None:
    missing = _rules_needing_coverage(app) - set(COVERAGE)
    assert not missing, f"add these routes to COVERAGE in {__file__}: {sorted(missing)}"
    stale = set(COVERAGE) - _rules_needing_coverage(app)
    assert not stale, f"COVERAGE names routes that no longer exist: {sorted(stale)}"
    paths = {rule.rule for rule in app.url_map.iter_rules()}
    for call in BODY_ID_CALLS:
        assert call.path in paths, call.path


def _snapshot() -> dict[str, Any]:
    """Every row that holds money or exposure, as stored."""
    queries = {
        "accounts": "SELECT id, balance, txn_seq, status FROM accounts ORDER BY id",
        "positions": "SELECT id, lots, status, realized_pnl FROM positions ORDER BY id",
        "orders": "SELECT count(*) FROM orders",
        "fills": "SELECT count(*) FROM fills",
        "ledger": "SELECT count(*), sum(amount) FROM ledger_entries",
    }
    snapshot = {name: db.session.execute(text(sql)).all() for name, sql in queries.items()}
    db.session.rollback()
    return snapshot


@pytest.fixture
def owner(client: FlaskClient, redis_client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A trader with an order, a fill and an open position, and their ids."""
    put_market(redis_client)
    trader = new_trader(client)
    placed = client.post(
        "/api/orders", json={"symbol": "EURUSD", "side": "BUY", "lots": 0.1},
        headers=trader["headers"],
    )  # fmt: skip
    assert placed.status_code == 201, placed.get_json()
    result = placed.get_json()
    return {
        "order_id": result["order"]["id"],
        "position_id": result["position"]["id"],
        "account_id": result["account"]["id"],
        "symbol": "EURUSD",
    }


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


@pytest.mark.parametrize(
    "call",
    [c for c in COVERAGE.values() if isinstance(c, Call)] + BODY_ID_CALLS,
    ids=lambda call: f"{call.method} {call.path}",
)
def test_second_user_cannot_reach_first_users_objects(
    app: Flask, client: FlaskClient, owner: dict[str, Any], call: Call
) -> None:
    intruder = new_trader(client)
    with app.app_context():
        before = _snapshot()
    body = None if call.body is None else {k: _fill(v, owner) for k, v in call.body.items()}
    response = client.open(
        call.path.format(**owner), method=call.method, json=body, headers=intruder["headers"]
    )
    assert response.status_code == call.status, response.get_json()
    assert "error_code" in response.get_json()
    with app.app_context():
        after = _snapshot()
    # The intruder's own registration is the only change allowed: compare the owner's rows.
    assert [row for row in after["accounts"] if row[0] == owner["account_id"]] == [
        row for row in before["accounts"] if row[0] == owner["account_id"]
    ]
    for name in ("positions", "orders", "fills", "ledger"):
        assert after[name] == before[name], name
