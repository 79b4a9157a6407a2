"""Deactivating and reactivating users from the back office: their bearer tokens follow at once."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import User, db
from tests.backoffice import form_fields, signed_in_admin
from tests.helpers import new_trader


def _user(app: Flask, username: str) -> tuple[int, bool]:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        return user.id, user.is_active


def _toggle(client: FlaskClient, user_id: int) -> Any:
    """Press the user's Deactivate or Reactivate button in the users list."""
    page = client.get("/admin/users/").get_data(as_text=True)
    fields = form_fields(page, f"active-{user_id}")
    return client.post(f"/admin/users/{user_id}/active/", data=fields)


def test_deactivating_a_user_makes_their_token_answer_401(app: Flask, client: FlaskClient) -> None:
    trader = new_trader(client)
    signed_in_admin(app, client)
    user_id, _ = _user(app, trader["username"])
    assert client.get("/api/auth/me", headers=trader["headers"]).status_code == 200

    response = _toggle(client, user_id)
    assert (response.status_code, response.location) == (303, "/admin/users/")
    assert _user(app, trader["username"]) == (user_id, False)
    me = client.get("/api/auth/me", headers=trader["headers"])
    assert (me.status_code, me.get_json()["error_code"]) == (401, "TOKEN_REVOKED")
    listing = client.get("/admin/users/").get_data(as_text=True)
    assert f"User {trader['username']} is deactivated" in listing

    assert _toggle(client, user_id).status_code == 303
    assert _user(app, trader["username"]) == (user_id, True)
    assert client.get("/api/auth/me", headers=trader["headers"]).status_code == 200


def test_an_admin_cannot_deactivate_themselves(app: Flask, client: FlaskClient) -> None:
    username = signed_in_admin(app, client)
    user_id, _ = _user(app, username)
    page = client.get("/admin/users/").get_data(as_text=True)
    assert f'id="active-{user_id}"' not in page  # no button on their own row
    fields = form_fields(page)  # the sign-out form: the session's CSRF token
    response = client.post(
        f"/admin/users/{user_id}/active/", data={"csrf_token": fields["csrf_token"], "active": "0"}
    )
    assert response.status_code == 303
    assert "You cannot deactivate yourself" in client.get("/admin/users/").get_data(as_text=True)
    assert _user(app, username) == (user_id, True)


def test_deactivation_without_the_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    trader = new_trader(client)
    signed_in_admin(app, client)
    user_id, _ = _user(app, trader["username"])
    response = client.post(f"/admin/users/{user_id}/active/", data={"active": "0"})
    assert response.status_code == 400
    assert _user(app, trader["username"]) == (user_id, True)
    assert client.get("/api/auth/me", headers=trader["headers"]).status_code == 200


def test_an_unknown_user_is_404(app: Flask, client: FlaskClient) -> None:
    signed_in_admin(app, client)
    token = form_fields(client.get("/admin/").get_data(as_text=True))["csrf_token"]
    response = client.post("/admin/users/999999/active/", data={"csrf_token": token, "active": "0"})
    assert response.status_code == 404
