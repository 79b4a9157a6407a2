"""The OpenAPI document is an oracle the tests trust: it refuses a body it does not describe.

Every response the suite's client receives is checked against the document (tests/contract.py);
these tests show that the check can fail, and that every documented route is served.
"""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_core.validation.response.exceptions import InvalidData
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from tests.contract import check_response
from tests.helpers import new_trader
from tests.quotes import put_market


def _response(app: Flask, method: str, path: str, status: int, body: object) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.request = Request(EnvironBuilder(path=path, method=method).get_environ())  # type: ignore[attr-defined]
    return response


def test_a_body_the_document_does_not_describe_is_refused(app: Flask) -> None:
    wrong = {"id": "one", "currency": "USD"}  # id must be an integer; fields are missing
    with pytest.raises(InvalidData):
        check_response(app, _response(app, "GET", "/api/account", 200, wrong))


def test_an_error_without_its_error_code_is_refused(app: Flask) -> None:
    error = {"code": 409, "status": "Conflict", "message": "no"}
    with pytest.raises(InvalidData):
        check_response(app, _response(app, "POST", "/api/orders", 409, error))


def test_an_order_result_validates(client: FlaskClient, redis_client: object) -> None:
    put_market(redis_client)  # type: ignore[arg-type]
    trader = new_trader(client)
    response = client.post(
        "/api/orders", json={"symbol": "EURUSD", "side": "BUY", "lots": 0.1},
        headers=trader["headers"],
    )  # fmt: skip
    assert response.status_code == 201  # and the client checked it against the document
    check_response(client.application, response)
