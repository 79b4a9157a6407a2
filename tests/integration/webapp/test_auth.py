"""Register, login, refresh, logout and me, over the real app, PostgreSQL and Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token

from models import Account, User, db
from tests.helpers import PASSWORD, bearer, login, new_trader, register
from webapp.auth import Principal


def _user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.query(User).count()


def test_register_creates_user_with_account(app: Flask, client: FlaskClient) -> None:
    response = client.post("/api/auth/register", json={"username": "Alice", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["username"] == "alice"
    assert body["role"] == "trader"
    assert "password" not in body
    with app.app_context():
        account = db.session.get(Account, body["account_id"])
        assert account is not None
        assert account.user_id == body["id"]
        assert account.currency == "USD"
        user = db.session.get(User, body["id"])
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")


def test_duplicate_username_ignoring_case_is_409(app: Flask, client: FlaskClient) -> None:
    register(client, "bob")
    response = client.post("/api/auth/register", json={"username": "BOB", "password": PASSWORD})
    assert response.status_code == 409
    assert response.get_json()["error_code"] == "USERNAME_TAKEN"
    assert _user_count(app) == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "at least 10"),
        ("onlyletterslong", "a letter and a digit"),
        ("1234567890123", "a letter and a digit"),
        ("carol-is-great-1", "username"),
    ],
)
def test_weak_passwords_are_refused(
    app: Flask, client: FlaskClient, password: str, reason: str
) -> None:
    response = client.post("/api/auth/register", json={"username": "carol", "password": password})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error_code"] == "WEAK_PASSWORD"
    assert reason in body["message"]
    assert _user_count(app) == 0


def test_login_returns_a_token_pair(client: FlaskClient) -> None:
    username = register(client)
    tokens = login(client, username)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 15 * 60
    me = client.get("/api/auth/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["username"] == username


def test_wrong_password_and_unknown_user_get_the_same_answer(client: FlaskClient) -> None:
    username = register(client)
    wrong_password = client.post(
        "/api/auth/login", json={"username": username, "password": "wrong-password-1"}
    )
    unknown_user = client.post(
        "/api/auth/login", json={"username": "nobody-here", "password": PASSWORD}
    )
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.get_json() == unknown_user.get_json()
    assert wrong_password.get_json()["error_code"] == "INVALID_CREDENTIALS"


def test_refresh_issues_a_new_access_token(client: FlaskClient) -> None:
    trader = new_trader(client)
    response = client.post("/api/auth/refresh", headers=bearer(trader["refresh_token"]))
    assert response.status_code == 200
    new_access = response.get_json()["access_token"]
    assert client.get("/api/auth/me", headers=bearer(new_access)).status_code == 200


def test_access_token_cannot_refresh(client: FlaskClient) -> None:
    trader = new_trader(client)
    response = client.post("/api/auth/refresh", headers=trader["headers"])
    assert response.status_code == 401
    assert response.get_json()["error_code"] == "TOKEN_INVALID"


def test_refresh_token_is_refused_where_an_access_token_is_required(client: FlaskClient) -> None:
    trader = new_trader(client)
    response = client.get("/api/auth/me", headers=bearer(trader["refresh_token"]))
    assert response.status_code == 401
    assert response.get_json()["error_code"] == "TOKEN_INVALID"


def test_logout_revokes_access_and_refresh_tokens(client: FlaskClient) -> None:
    trader = new_trader(client)
    response = client.post(
        "/api/auth/logout",
        json={"refresh_token": trader["refresh_token"]},
        headers=trader["headers"],
    )
    assert response.status_code == 204
    me = client.get("/api/auth/me", headers=trader["headers"])
    assert me.status_code == 401
    assert me.get_json()["error_code"] == "TOKEN_REVOKED"
    refresh = client.post("/api/auth/refresh", headers=bearer(trader["refresh_token"]))
    assert refresh.status_code == 401
    assert refresh.get_json()["error_code"] == "TOKEN_REVOKED"


def test_logout_leaves_other_sessions_alone(client: FlaskClient) -> None:
    trader = new_trader(client)
    other_session = login(client, trader["username"])
    client.post("/api/auth/logout", headers=trader["headers"])
    me = client.get("/api/auth/me", headers=bearer(other_session["access_token"]))
    assert me.status_code == 200


def test_logout_refuses_someone_elses_refresh_token(client: FlaskClient) -> None:
    alice, bob = new_trader(client), new_trader(client)
    response = client.post(
        "/api/auth/logout", json={"refresh_token": bob["refresh_token"]}, headers=alice["headers"]
    )
    assert response.status_code == 422
    refresh = client.post("/api/auth/refresh", headers=bearer(bob["refresh_token"]))
    assert refresh.status_code == 200


def test_missing_token_is_401(client: FlaskClient) -> None:
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.get_json()["error_code"] == "TOKEN_MISSING"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_tampered_token_is_401(client: FlaskClient) -> None:
    trader = new_trader(client)
    header, payload, signature = trader["access_token"].split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    response = client.get("/api/auth/me", headers=bearer(f"{header}.{payload}.{flipped}"))
    assert response.status_code == 401
    assert response.get_json()["error_code"] == "TOKEN_INVALID"


def test_token_signed_with_another_key_is_401(app: Flask, client: FlaskClient) -> None:
    import jwt as pyjwt

    forged = pyjwt.encode(
        {"sub": "1", "type": "access", "jti": "x", "fresh": False, "role": "admin"},
        "another-key-that-is-long-enough-for-hs256",
        algorithm="HS256",
    )
    response = client.get("/api/auth/me", headers=bearer(forged))
    assert response.status_code == 401
    assert response.get_json()["error_code"] == "TOKEN_INVALID"


def test_tokens_carry_issuer_and_audience(app: Flask, client: FlaskClient) -> None:
    import jwt as pyjwt

    tokens = new_trader(client)
    for kind in ("access_token", "refresh_token"):
        claims = pyjwt.decode(tokens[kind], options={"verify_signature": False})
        assert claims["iss"] == app.config["JWT_ENCODE_ISSUER"] == "fx-backend"
        assert claims["aud"] == app.config["JWT_ENCODE_AUDIENCE"] == "fx-api"


@pytest.mark.parametrize(
    ("claim", "value"),
    [("aud", "another-api"), ("iss", "another-service"), ("aud", None), ("iss", None)],
)
def test_token_for_another_audience_or_issuer_is_401(
    app: Flask, client: FlaskClient, claim: str, value: str | None
) -> None:
    """Signed with our key but meant for another service (or naming none): refused."""
    import jwt as pyjwt

    tokens = new_trader(client)
    key = app.config["JWT_SECRET_KEY"]
    claims = pyjwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert client.get("/api/auth/me", headers=tokens["headers"]).status_code == 200
    if value is None:
        del claims[claim]
    else:
        claims[claim] = value
    forged = pyjwt.encode(claims, key, algorithm="HS256")
    response = client.get("/api/auth/me", headers=bearer(forged))
    assert response.status_code == 401
    assert response.get_json()["error_code"] == "TOKEN_INVALID"


def test_expired_token_is_401(app: Flask, client: FlaskClient) -> None:
    username = register(client)
    with app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        identity = Principal(user.id, user.role, None)
        expired = create_access_token(identity=identity, expires_delta=timedelta(seconds=-5))
    response = client.get("/api/auth/me", headers=bearer(expired))
    assert response.status_code == 401
    assert response.get_json()["error_code"] == "TOKEN_EXPIRED"


def test_login_is_rate_limited_per_username(client: FlaskClient) -> None:
    username = register(client)
    statuses = [
        client.post(
            "/api/auth/login", json={"username": username, "password": "wrong-password-1"}
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [401] * 5
    limited = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert limited.status_code == 429
    assert limited.get_json()["error_code"] == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) > 0
    # Another username from the same address is not locked out by this user's limit.
    other = register(client)
    assert (
        client.post("/api/auth/login", json={"username": other, "password": PASSWORD}).status_code
        == 200
    )
