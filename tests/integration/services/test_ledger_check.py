"""`flask ledger verify`: right books pass; each rule catches the corruption it is about."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from models import db
from services.ledger_check import RULES
from tests.helpers import new_trader
from tests.quotes import put_market

TAMPERED = pytest.mark.ledger_tampered(reason="corrupts the books to see the check catch it")


def _trade(client: FlaskClient, redis_client: redis.Redis) -> dict[str, Any]:
    """A trader who bought 1 EURUSD, then sold 2 (a flip: one order, two fills)."""
    put_market(redis_client)
    trader = new_trader(client)
    for order in ({"side": "BUY", "lots": 1}, {"side": "SELL", "lots": 2}):
        response = client.post(
            "/api/orders", json={"symbol": "EURUSD", **order}, headers=trader["headers"]
        )
        assert response.status_code == 201, response.get_json()
    return trader


def _verify(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["ledger", "verify", *args])


def test_right_books_pass(client: FlaskClient, redis_client: redis.Redis, runner: Any) -> None:
    _trade(client, redis_client)
    _trade(client, redis_client)
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert f"2 account(s), {len(RULES)} rules: OK" in result.output


def _corrupt(app: Flask, statement: str) -> None:
    with app.app_context():
        db.session.execute(text(statement))
        db.session.commit()


CORRUPTIONS = [
    ("balance", "UPDATE accounts SET balance = balance + 0.01 WHERE id = 1"),
    ("balance_after", "UPDATE ledger_entries SET balance_after = balance_after + 1 WHERE id = 1"),
    (
        "position_fills",
        "UPDATE positions SET lots = lots + 0.01 WHERE account_id = 1 AND status = 'open'",
    ),
    (
        "position_status",
        "UPDATE positions SET lots = 0.5 WHERE account_id = 1 AND status = 'closed'",
    ),
    ("txn_seq", "UPDATE accounts SET txn_seq = txn_seq + 1 WHERE id = 1"),
    (
        "txn_duplicates",
        "UPDATE orders SET txn_seq = 2 WHERE account_id = 1 AND txn_seq = 3;"
        "UPDATE fills SET txn_seq = 2 WHERE account_id = 1 AND txn_seq = 3",
    ),
    ("fill_txn", "UPDATE fills SET txn_seq = 1 WHERE account_id = 1 AND txn_seq = 3"),
    (
        "order_fills",
        "UPDATE orders SET lots = 3 WHERE account_id = 1 AND txn_seq = 3",
    ),
]


@TAMPERED
@pytest.mark.parametrize(("rule", "statement"), CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS])
def test_each_rule_catches_its_corruption(
    app: Flask,
    client: FlaskClient,
    redis_client: redis.Redis,
    runner: Any,
    rule: str,
    statement: str,
) -> None:
    _trade(client, redis_client)  # account 1: deposit (txn 1), buy (txn 2), flip (txn 3)
    _trade(client, redis_client)  # account 2 stays right
    assert _verify(runner).exit_code == 0
    _corrupt(app, statement)

    result = _verify(runner)

    assert result.exit_code == 1, result.output
    assert f"  {rule}: account 1: " in result.output
    assert "account 2:" not in result.output
    assert _verify(runner, "--account", "2").exit_code == 0


@TAMPERED
def test_a_client_order_id_booked_twice_is_caught_when_the_index_is_gone(
    app: Flask, client: FlaskClient, redis_client: redis.Redis, runner: Any
) -> None:
    _trade(client, redis_client)
    _corrupt(app, "ALTER TABLE orders DROP CONSTRAINT uq_orders_account_client_order")
    try:
        _corrupt(app, "UPDATE orders SET client_order_id = 'twice' WHERE account_id = 1")
        result = _verify(runner)
        assert result.exit_code == 1
        assert "  client_order_id: account 1: twice, 2" in result.output
    finally:
        _corrupt(app, "UPDATE orders SET client_order_id = NULL")
        _corrupt(
            app,
            "ALTER TABLE orders ADD CONSTRAINT uq_orders_account_client_order "
            "UNIQUE (account_id, client_order_id)",
        )


@TAMPERED
def test_stamps_out_of_txn_order_are_caught(
    app: Flask, client: FlaskClient, redis_client: redis.Redis, runner: Any
) -> None:
    _trade(client, redis_client)
    _corrupt(
        app,
        "UPDATE orders SET created_at = created_at - interval '1 day' "
        "WHERE account_id = 1 AND txn_seq = 3",
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert "  stamps: account 1: 3, " in result.output


def test_an_unknown_account_is_refused_cleanly(runner: Any, app: Flask) -> None:
    assert _verify(runner, "--account", "0").exit_code == 2  # usage error, not a traceback
    result = _verify(runner, "--account", "99")
    assert result.exit_code == 0
    assert "0 account(s)" in result.output
