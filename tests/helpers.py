"""Helpers shared by tests: registering and logging in users through the API."""

from __future__ import annotations

import itertools
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from models import Role, User, db

PASSWORD = "correct-horse-42"
_counter = itertools.count(1)


def register(client: FlaskClient, username: str | None = None, password: str = PASSWORD) -> str:
    """Register a user through the API and return the username."""
    username = username or f"trader{next(_counter)}"
    response = client.post("/api/auth/register", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return username


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    """Log in through the API and return the token pair."""
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def new_trader(client: FlaskClient) -> dict[str, Any]:
    """Register and log in a fresh trader; return tokens plus `headers` for requests."""
    username = register(client)
    tokens = login(client, username)
    return {**tokens, "username": username, "headers": bearer(tokens["access_token"])}


def admin_headers(app: Flask, client: FlaskClient) -> dict[str, str]:
    """Register a user, make them an admin in the database, log in; return their headers."""
    trader = new_trader(client)
    with app.app_context():
        db.session.execute(
            update(User).where(User.username == trader["username"]).values(role=Role.ADMIN)
        )
        db.session.commit()
    return bearer(login(client, trader["username"])["access_token"])


def kill_subscribers(redis_client: Any, name: str | None = None) -> int:
    """Kill the pub/sub connections of this test run's Redis database (optionally of one client
    name); return how many. Never CLIENT KILL TYPE pubsub: that reaches every database of the
    server, and so other runs sharing it."""
    database = redis_client.connection_pool.connection_kwargs.get("db", 0)
    subscribed = [
        c
        for c in redis_client.client_list(_type="pubsub")
        if int(c["db"]) == database and (name is None or c["name"] == name)
    ]
    for connection in subscribed:
        redis_client.client_kill_filter(_id=connection["id"])
    return len(subscribed)
