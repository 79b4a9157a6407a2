"""Balance changes through the back office form: booked by adjust_balance, once, or not at all."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from domain.records import AccountStatus
from models import Account, User, db
from tests.backoffice import form_fields, ledger_count, ledger_entries, signed_in_admin
from tests.helpers import new_trader
from tests.invariants import account_balance, assert_ledger_invariants
from tests.quotes import put_market
from tests.server import serve

FORM = "balance-form"


def _account_of(app: Flask, username: str) -> int:
    with app.app_context():
        query = select(Account.id).join(User).where(User.username == username)
        account_id = db.session.scalar(query)
        assert account_id is not None
        return account_id


def _page(client: FlaskClient, account_id: int) -> dict[str, str]:
    response = client.get(f"/admin/accounts/{account_id}/balance/")
    assert response.status_code == 200
    return form_fields(response.get_data(as_text=True), FORM)


def _post(client: FlaskClient, account_id: int, fields: dict[str, str], **values: str) -> Any:
    return client.post(f"/admin/accounts/{account_id}/balance/", data={**fields, **values})


@pytest.fixture
def setup(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """A trader's account (100000.00 from signing up) and an admin signed in to the back office."""
    trader = new_trader(client)
    admin = signed_in_admin(app, client)
    return {"trader": trader, "admin": admin, "account_id": _account_of(app, trader["username"])}


def test_a_deposit_books_exactly_one_ledger_entry(
    app: Flask, client: FlaskClient, setup: dict[str, Any]
) -> None:
    account_id = setup["account_id"]
    fields = _page(client, account_id)
    response = _post(client, account_id, fields, kind="deposit", amount="250.50", reason=" wire 7 ")
    assert (response.status_code, response.location) == (
        303, f"/admin/ledger/?flt0_account_equals={account_id}",
    )  # fmt: skip
    entries = ledger_entries(app, account_id)
    assert len(entries) == 2  # the signup deposit and this one
    entry = entries[-1]
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.username == setup["admin"]))
        assert_ledger_invariants()
        assert account_balance(account_id) == Decimal("100250.50")
    assert (entry.kind.value, entry.amount, entry.balance_after) == (
        "deposit", Decimal("250.50"), Decimal("100250.50"),
    )  # fmt: skip
    assert (entry.reason, entry.reference, entry.txn_seq) == ("wire 7", f"admin:{admin_id}", 2)
    ledger = client.get(response.location).get_data(as_text=True)
    assert f"Booked deposit: 250.50 USD on account {account_id}" in ledger
    assert "wire 7" in ledger


def test_a_replayed_form_books_nothing_more(
    app: Flask, client: FlaskClient, setup: dict[str, Any]
) -> None:
    account_id = setup["account_id"]
    fields = {**_page(client, account_id), "kind": "deposit", "amount": "100", "reason": "once"}
    assert _post(client, account_id, fields).status_code == 303
    replay = _post(client, account_id, fields)
    assert replay.status_code == 409
    assert "already submitted" in replay.get_data(as_text=True)
    assert len(ledger_entries(app, account_id)) == 2
    with app.app_context():
        assert account_balance(account_id) == Decimal("100100.00")
        assert_ledger_invariants()


def test_concurrent_submissions_of_one_form_book_once(
    app: Flask, client: FlaskClient, setup: dict[str, Any]
) -> None:
    account_id = setup["account_id"]
    fields = {**_page(client, account_id), "kind": "deposit", "amount": "10", "reason": "race"}
    cookie = client.get_cookie("fx_backoffice", path="/admin")
    assert cookie is not None
    with serve(app) as base, ThreadPoolExecutor(max_workers=8) as pool:
        url = f"{base}/admin/accounts/{account_id}/balance/"

        def post(_: int) -> int:
            response = requests.post(
                url, data=fields, cookies={cookie.key: cookie.value}, allow_redirects=False,
                timeout=30,
            )  # fmt: skip
            return response.status_code

        statuses = sorted(pool.map(post, range(8)))
    assert statuses == [303] + [409] * 7
    assert len(ledger_entries(app, account_id)) == 2
    with app.app_context():
        assert_ledger_invariants()


def test_a_form_token_books_only_on_the_account_it_was_rendered_for(
    app: Flask, client: FlaskClient, setup: dict[str, Any]
) -> None:
    other = _account_of(app, new_trader(client)["username"])
    fields = _page(client, setup["account_id"])
    response = _post(client, other, fields, kind="deposit", amount="5", reason="wrong account")
    assert response.status_code == 409
    assert ledger_count(app) == 3  # the three signup deposits


@pytest.mark.parametrize("token", [None, "", "not-the-session-token", "ImFiYyI.aaaa.bbbb"], ids=str)
def test_a_post_without_a_valid_csrf_token_is_refused_and_books_nothing(
    app: Flask, client: FlaskClient, setup: dict[str, Any], token: str | None
) -> None:
    account_id = setup["account_id"]
    fields = {**_page(client, account_id), "kind": "deposit", "amount": "100", "reason": "x"}
    del fields["csrf_token"]
    if token is not None:
        fields["csrf_token"] = token
    response = _post(client, account_id, fields)
    assert response.status_code == 400
    assert "nothing was done" in response.get_data(as_text=True)
    assert len(ledger_entries(app, account_id)) == 1


def test_a_withdrawal_beyond_free_margin_shows_the_error_and_books_nothing(
    app: Flask, client: FlaskClient, setup: dict[str, Any], redis_client: Any
) -> None:
    put_market(redis_client)
    account_id = setup["account_id"]
    order = {"symbol": "EURUSD", "side": "BUY", "lots": 0.1}
    headers = setup["trader"]["headers"]
    assert client.post("/api/orders", json=order, headers=headers).status_code == 201
    # free margin 100000 - 1.20 (spread) - 110.00 (margin) = 99888.80
    fields = _page(client, account_id)
    response = _post(client, account_id, fields, kind="withdrawal", amount="99888.81", reason="all")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "insufficient funds: requested 99888.81 USD, available 99888.80 USD" in page
    assert len(ledger_entries(app, account_id)) == 1
    retry = form_fields(page, FORM)  # a fresh form, with the operator's input kept
    assert (retry["kind"], retry["amount"]) == ("withdrawal", "99888.81")
    assert retry["form_token"] != fields["form_token"]
    assert _post(client, account_id, retry, amount="99888.80").status_code == 303
    with app.app_context():
        assert account_balance(account_id) == Decimal("111.20")
        assert_ledger_invariants()


def test_a_disabled_account_refuses_a_withdrawal_on_the_form(
    app: Flask, client: FlaskClient, setup: dict[str, Any]
) -> None:
    account_id = setup["account_id"]
    with app.app_context():
        query = update(Account).where(Account.id == account_id)
        db.session.execute(query.values(status=AccountStatus.DISABLED))
        db.session.commit()
    fields = _page(client, account_id)
    response = _post(client, account_id, fields, kind="withdrawal", amount="10", reason="payout")
    assert response.status_code == 409
    assert f"account {account_id} is disabled" in response.get_data(as_text=True)
    assert len(ledger_entries(app, account_id)) == 1


BAD_INPUT = [
    ("deposit", "abc", "x", "write the amount as digits"),
    ("deposit", "NaN", "x", "write the amount as digits"),
    ("deposit", "Infinity", "x", "write the amount as digits"),
    ("deposit", "1e3", "x", "write the amount as digits"),
    ("deposit", "1,000", "x", "write the amount as digits"),
    ("deposit", "", "x", "This field is required"),
    ("deposit", "1.005", "x", "at most 2 decimal places"),
    ("deposit", "0", "x", "must not be zero"),
    ("adjustment", "-0.00", "x", "must not be zero"),
    ("deposit", "-5", "x", "must be positive"),
    ("withdrawal", "-5", "x", "must be positive"),
    ("deposit", "1000000000000.01", "x", "must be at most"),
    ("adjustment", "-1000000000000.01", "x", "must be at least"),
    ("deposit", "10", "   ", "must not be blank"),
    ("deposit", "10", "x" * 256, "Field cannot be longer than 255 characters"),
    ("realized_pnl", "10", "x", "Not a valid choice"),
]


@pytest.mark.parametrize(("kind", "amount", "reason", "message"), BAD_INPUT)
def test_bad_input_is_shown_and_books_nothing(
    app: Flask, client: FlaskClient, setup: dict[str, Any], kind: str, amount: str, reason: str,
    message: str,
) -> None:  # fmt: skip
    account_id = setup["account_id"]
    fields = _page(client, account_id)
    response = _post(client, account_id, fields, kind=kind, amount=amount, reason=reason)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert len(ledger_entries(app, account_id)) == 1
    # Refused input spends no token: the same form, corrected, books once.
    corrected = _post(client, account_id, fields, kind="deposit", amount="1", reason="fixed")
    assert corrected.status_code == 303


def test_a_signed_adjustment_is_booked_as_given(
    app: Flask, client: FlaskClient, setup: dict[str, Any]
) -> None:
    account_id = setup["account_id"]
    fields = _page(client, account_id)
    response = _post(client, account_id, fields, kind="adjustment", amount="-20.75", reason="fee")
    assert response.status_code == 303
    entry = ledger_entries(app, account_id)[-1]
    assert (entry.kind.value, entry.amount, entry.balance_after) == (
        "adjustment", Decimal("-20.75"), Decimal("99979.25"),
    )  # fmt: skip


def test_an_unknown_account_is_404(client: FlaskClient, setup: dict[str, Any]) -> None:
    assert client.get("/admin/accounts/999999/balance/").status_code == 404
