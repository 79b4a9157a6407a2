"""Malformed bodies get a 4xx in the one error shape, never a 500, and store nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import User, db
from tests.helpers import PASSWORD

ERROR_KEYS = {"code", "status", "message", "error_code"}


def _assert_error(response, status: int, error_code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) >= ERROR_KEYS
    assert body["code"] == status
    assert body["error_code"] == error_code
    return body


@pytest.mark.parametrize(
    ("raw", "error_code"),
    [
        ('{"username": "dave", "password": ', "INVALID_JSON"),
        ('{"username": "dave", "password": NaN}', "INVALID_JSON"),
        ('{"username": "dave", "password": Infinity}', "INVALID_JSON"),
        ('{"username": "dave", "username": "eve", "password": "correct-horse-42"}', "INVALID_JSON"),
        ("\xff\xfe", "INVALID_JSON"),
        ('{"username": "dave", "password": 1' + "0" * 5000 + "}", "INVALID_JSON"),
        ("[" * 30_000 + "]" * 30_000, "INVALID_JSON"),
    ],
)
def test_malformed_json_is_refused(
    app: Flask, client: FlaskClient, raw: str, error_code: str
) -> None:
    response = client.post(
        "/api/auth/register", data=raw.encode("latin-1"), content_type="application/json"
    )
    _assert_error(response, 400, error_code)
    with app.app_context():
        assert db.session.query(User).count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "dave"}, "password"),
        ({"username": 12345, "password": PASSWORD}, "username"),
        ({"username": "dave", "password": ["x"]}, "password"),
        ({"username": "dave", "password": PASSWORD, "role": "admin"}, "role"),
        ({"username": "d", "password": PASSWORD}, "username"),
        ({"username": "dave; drop table users", "password": PASSWORD}, "username"),
        ({"username": "dave", "password": "x" * 200}, "password"),
    ],
)
def test_invalid_fields_are_named(app: Flask, client: FlaskClient, body: dict, field: str) -> None:
    response = client.post("/api/auth/register", json=body)
    error = _assert_error(response, 422, "VALIDATION_ERROR")
    assert field in error["errors"]
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_body_that_is_not_an_object_is_422(client: FlaskClient) -> None:
    _assert_error(client.post("/api/auth/register", json=[1, 2]), 422, "VALIDATION_ERROR")


def test_oversized_body_is_413(client: FlaskClient) -> None:
    body = b'{"username": "dave", "password": "' + b"x" * 100_000 + b'"}'
    response = client.post("/api/auth/register", data=body, content_type="application/json")
    _assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_non_json_content_type_is_415(client: FlaskClient) -> None:
    response = client.post("/api/auth/register", data="username=dave&password=x")
    _assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_unknown_route_and_wrong_method(client: FlaskClient) -> None:
    _assert_error(client.get("/api/nothing-here"), 404, "NOT_FOUND")
    _assert_error(client.get("/api/auth/login"), 405, "METHOD_NOT_ALLOWED")
