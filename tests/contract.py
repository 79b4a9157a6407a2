"""The OpenAPI document as a test oracle: every JSON response must match what it documents.

The app's own document (GET /api/openapi.json) is loaded once per app; each response the tests'
client receives from an /api/ route is validated against the documented response of its
operation and status (or the documented default, the error shape). A response the document
does not describe fails the test that received it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

SKIPPED = ("/api/openapi.json", "/api/docs")
# (method, path template) of every operation that answered 2xx and was checked, this session.
ANSWERED: set[tuple[str, str]] = set()


def openapi_of(app: Flask) -> OpenAPI:
    """Return the app's OpenAPI document, loaded once."""
    found: OpenAPI | None = app.extensions.get("test_openapi")
    if found is None:
        with app.test_client() as plain:
            document = plain.get("/api/openapi.json").get_json()
        found = OpenAPI.from_dict(document)
        app.extensions["test_openapi"] = found
    return found


def check_response(app: Flask, response: Any) -> None:
    """Fail unless the response matches the document (for JSON responses of /api/ routes)."""
    request = response.request
    documented = request.path.startswith("/api/") or request.path in ("/health", "/ready")
    if not documented or request.path.startswith(SKIPPED):
        return
    if response.status_code != 204 and response.mimetype == "application/json":
        sent = _SentRequest(request)
        try:
            openapi_of(app).validate_response(sent, WerkzeugOpenAPIResponse(response))
        except (PathNotFound, OperationNotFound):
            return  # no such route or method: the 404/405 error shape is checked where tested
    if response.status_code < 300:
        rule, _ = app.url_map.bind("localhost").match(
            request.path, request.method, return_rule=True
        )
        ANSWERED.add((request.method, rule.rule))


def unanswered(app: Flask) -> list[str]:
    """Return the documented operations no test saw answer 2xx (by the app's URL rules)."""
    documented = {
        (method.upper(), rule.rule)
        for rule in app.url_map.iter_rules()
        if (rule.rule.startswith("/api/") or rule.rule in ("/health", "/ready"))
        and not rule.rule.startswith(SKIPPED)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    return sorted(f"{method} {rule}" for method, rule in documented - ANSWERED)


class _SentRequest(WerkzeugOpenAPIRequest):
    """The request a response answered; its body was read by the app, and is not needed."""

    @property
    def body(self) -> bytes | None:
        """Return nothing: only the response is validated."""
        return None


class ContractClient(FlaskClient):
    """A test client that checks every response against the OpenAPI document."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Send the request, then validate the response."""
        response = super().open(*args, **kwargs)
        check_response(self.application, response)
        return response
