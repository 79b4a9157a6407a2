"""`flask accounts add-capital`: a deposit booked in the ledger; bad amounts refused by click."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import LedgerEntry, db
from tests.helpers import new_trader


def _entries(app: Flask) -> list[tuple[str, Decimal, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()
        return [(e.kind.value, e.amount, e.reference, e.reason) for e in rows]


def test_add_capital_books_a_deposit(app: Flask, client: FlaskClient, runner: Any) -> None:
    trader = new_trader(client)
    result = runner.invoke(
        args=["accounts", "add-capital", trader["username"].upper(), "250.5", "--reason", "top-up"]
    )
    assert result.exit_code == 0, result.output
    assert "deposited 250.50 USD" in result.output
    assert "balance 100250.50" in result.output
    assert _entries(app)[-1] == ("deposit", Decimal("250.50"), "admin:0", "top-up")
    account = client.get("/api/account", headers=trader["headers"]).get_json()
    assert (account["balance"], account["txn_seq"]) == ("100250.50", 2)


def test_add_capital_has_a_default_reason(app: Flask, client: FlaskClient, runner: Any) -> None:
    trader = new_trader(client)
    result = runner.invoke(args=["accounts", "add-capital", trader["username"], "10"])
    assert result.exit_code == 0, result.output
    assert _entries(app)[-1][3] == "capital added from the command line"


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("abc", "is not a number"),
        ("NaN", "finite amount greater than 0"),
        ("Infinity", "finite amount greater than 0"),
        ("-5", "finite amount greater than 0"),
        ("0", "finite amount greater than 0"),
        ("1.005", "more than 2 decimal places"),
        ("1e20", "is more than"),
    ],
)
def test_bad_amounts_are_refused(
    app: Flask, client: FlaskClient, runner: Any, amount: str, why: str
) -> None:
    trader = new_trader(client)
    result = runner.invoke(args=["accounts", "add-capital", trader["username"], "--", amount])
    assert result.exit_code == 2, result.output
    assert why in result.output
    assert len(_entries(app)) == 1  # the signup deposit only


def test_unknown_user_and_blank_reason_are_refused(
    app: Flask, client: FlaskClient, runner: Any
) -> None:
    trader = new_trader(client)
    unknown = runner.invoke(args=["accounts", "add-capital", "nobody-here", "10"])
    assert unknown.exit_code == 1
    assert "no user 'nobody-here'" in unknown.output
    blank = runner.invoke(
        args=["accounts", "add-capital", trader["username"], "10", "--reason", " "]
    )
    assert blank.exit_code == 2
    assert len(_entries(app)) == 1
