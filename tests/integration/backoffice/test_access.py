"""Who gets into the back office: signed-in active admins only, with their own session cookie."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from config import ProductionConfig
from models import Account, LedgerEntry, Order, Role, User, db
from services.users import set_active
from tests.backoffice import form_fields, make_admin, sign_in, signed_in_admin
from tests.helpers import PASSWORD, new_trader
from tests.quotes import put_market

LISTS = [
    "/admin/",
    "/admin/users/",
    "/admin/accounts/",
    "/admin/positions/",
    "/admin/orders/",
    "/admin/fills/",
    "/admin/ledger/",
]


def _is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.location.startswith("/admin/login/")


@pytest.mark.parametrize("path", [*LISTS, "/admin/accounts/1/balance/", "/admin/ledger/?page=2"])
def test_anonymous_visitors_are_sent_to_the_login_form(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert _is_login_redirect(response), (response.status_code, response.location)


def test_a_trader_cannot_sign_in_nor_use_their_token(client: FlaskClient) -> None:
    trader = new_trader(client)
    response = sign_in(client, trader["username"])
    assert response.status_code == 401
    assert "not an administrator" in response.get_data(as_text=True)
    assert _is_login_redirect(client.get("/admin/accounts/"))
    assert _is_login_redirect(client.get("/admin/accounts/", headers=trader["headers"]))


def test_a_trader_with_a_csrf_token_cannot_book_nor_deactivate(
    app: Flask, client: FlaskClient
) -> None:
    trader = new_trader(client)
    victim = new_trader(client)
    with app.app_context():
        query = select(User.id, Account.id).join(Account)
        user_id, account_id = db.session.execute(
            query.where(User.username == victim["username"])
        ).one()
    before = _table_state(app)
    token = form_fields(client.get("/admin/login/").get_data(as_text=True), "login-form")
    posts = [
        (
            f"/admin/accounts/{account_id}/balance/",
            {"kind": "deposit", "amount": "5", "reason": "x"},
        ),
        (f"/admin/users/{user_id}/active/", {"active": "0"}),
    ]
    for url, values in posts:
        data = {**values, "csrf_token": token["csrf_token"]}
        response = client.post(url, data=data, headers=trader["headers"])
        assert _is_login_redirect(response), url
    assert _is_login_redirect(client.get("/admin/ledger/export/csv/", headers=trader["headers"]))
    assert client.get("/api/auth/me", headers=victim["headers"]).status_code == 200
    assert _table_state(app) == before


def test_wrong_password_and_unknown_user_get_the_same_answer(
    app: Flask, client: FlaskClient
) -> None:
    admin = make_admin(app, client)
    answers = {
        (r.status_code, "Wrong username or password" in r.get_data(as_text=True))
        for r in (sign_in(client, admin, "wrong-password-1"), sign_in(client, "nobody-here"))
    }
    assert answers == {(401, True)}
    assert _is_login_redirect(client.get("/admin/"))


def test_logins_are_limited_per_username(app: Flask, client: FlaskClient) -> None:
    admin = make_admin(app, client)
    for _ in range(5):  # LOGIN_RATE_LIMIT_PER_USERNAME: 5 per minute
        assert sign_in(client, admin, "wrong-password-1").status_code == 401
    response = sign_in(client, admin)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert _is_login_redirect(client.get("/admin/"))


def test_an_admin_signs_in_with_a_cookie_of_the_back_office_only(
    app: Flask, client: FlaskClient
) -> None:
    username = make_admin(app, client)
    response = sign_in(client, username)
    assert (response.status_code, response.location) == (303, "/admin/")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("fx_backoffice=")
    for flag in ("HttpOnly", "SameSite=Lax", "Path=/admin"):
        assert flag in cookie
    assert "Secure" not in cookie  # testing serves plain HTTP; production sets it:
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    home = client.get("/admin/")
    assert home.status_code == 200
    assert (home.headers["X-Frame-Options"], home.headers["Cache-Control"]) == ("DENY", "no-store")
    assert f"signed in as <strong>{username}</strong>" in home.get_data(as_text=True)


def test_login_goes_back_to_the_page_asked_for_never_elsewhere(
    app: Flask, client: FlaskClient
) -> None:
    username = make_admin(app, client)
    asked = client.get("/admin/ledger/?page_size=20").location
    fields = form_fields(client.get(asked).get_data(as_text=True), "login-form")
    response = client.post(asked, data={**fields, "username": username, "password": PASSWORD})
    assert response.location == "/admin/ledger/?page_size=20"
    client.post("/admin/logout/", data={"csrf_token": _csrf(client)})
    for target in ("https://evil.example/", "//evil.example/admin/", "/api/account"):
        fields = form_fields(client.get("/admin/login/").get_data(as_text=True), "login-form")
        response = client.post(
            "/admin/login/", query_string={"next": target},
            data={**fields, "username": username, "password": PASSWORD},
        )  # fmt: skip
        assert response.location == "/admin/", target
        client.post("/admin/logout/", data={"csrf_token": _csrf(client)})


def test_lists_and_details_render(app: Flask, client: FlaskClient, redis_client: Any) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    order = {"symbol": "EURUSD", "side": "BUY", "lots": 0.1}
    assert client.post("/api/orders", json=order, headers=trader["headers"]).status_code == 201
    signed_in_admin(app, client)
    for path in LISTS:
        response = client.get(path)
        assert response.status_code == 200, path
    text = client.get("/admin/fills/").get_data(as_text=True)
    assert "EURUSD" in text
    assert trader["username"] in client.get("/admin/accounts/").get_data(as_text=True)
    found = client.get("/admin/accounts/", query_string={"search": trader["username"]})
    assert "List (1)" in found.get_data(as_text=True)
    users = client.get("/admin/users/").get_data(as_text=True)
    assert "argon2" not in users  # never the password hashes
    with app.app_context():
        order_id = db.session.scalar(select(Order.id))
        user_id = db.session.scalar(select(User.id).where(User.username == trader["username"]))
    details = client.get(f"/admin/orders/details/?id={order_id}").get_data(as_text=True)
    assert "request_hash" in details.lower().replace(" ", "_")
    assert "argon2" not in client.get(f"/admin/users/details/?id={user_id}").get_data(as_text=True)


def test_signing_out_ends_the_session_even_for_a_copied_cookie(
    app: Flask, client: FlaskClient
) -> None:
    signed_in_admin(app, client)
    copied = client.get_cookie("fx_backoffice", path="/admin")
    assert copied is not None
    response = client.post("/admin/logout/", data={"csrf_token": _csrf(client)})
    assert (response.status_code, response.location) == (303, "/admin/login/")
    assert _is_login_redirect(client.get("/admin/"))
    client.set_cookie("fx_backoffice", copied.value, path="/admin")
    assert _is_login_redirect(client.get("/admin/"))


def test_a_deactivated_or_demoted_admin_is_out_at_the_next_click(
    app: Flask, client: FlaskClient
) -> None:
    username = signed_in_admin(app, client)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        assert user_id is not None
        set_active(db.session, user_id, False)
    assert _is_login_redirect(client.get("/admin/accounts/"))
    with app.app_context():
        set_active(db.session, user_id, True)
    assert client.get("/admin/accounts/").status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(role=Role.TRADER))
        db.session.commit()
    assert _is_login_redirect(client.get("/admin/accounts/"))


def test_rows_cannot_be_created_edited_or_deleted(app: Flask, client: FlaskClient) -> None:
    new_trader(client)
    signed_in_admin(app, client)
    before = _table_state(app)
    token = _csrf(client)
    attempts = [
        ("/admin/ledger/new/", {"amount": "1000000", "reason": "free money"}),
        ("/admin/ledger/edit/?id=1", {"amount": "1000000", "reason": "edited"}),
        ("/admin/ledger/delete/", {"id": "1"}),
        ("/admin/accounts/edit/?id=1", {"balance": "1000000"}),
        ("/admin/accounts/delete/", {"id": "1"}),
        ("/admin/accounts/action/", {"action": "delete", "rowid": "1"}),
        ("/admin/users/edit/?id=1", {"username": "renamed", "role": "admin"}),
        ("/admin/accounts/ajax/update/", {"list_form_pk": "1", "balance": "1000000"}),
    ]
    for url, data in attempts:
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code in {302, 404}, (url, response.status_code)
    for url in ("/admin/ledger/new/", "/admin/accounts/edit/?id=1", "/admin/users/edit/?id=1"):
        assert client.get(url).status_code == 302, url
    assert _table_state(app) == before


def _table_state(app: Flask) -> tuple[Any, ...]:
    with app.app_context():
        return (
            db.session.execute(select(func.count(), func.sum(LedgerEntry.amount))).one(),
            db.session.execute(select(Account.id, Account.balance).order_by(Account.id)).all(),
            db.session.execute(select(User.id, User.username, User.role).order_by(User.id)).all(),
        )


def _csrf(client: FlaskClient) -> str:
    """Return the session's CSRF token, as the sign-out form in every page carries it."""
    page = client.get("/admin/").get_data(as_text=True)
    return form_fields(page)["csrf_token"]
