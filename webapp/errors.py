"""One error shape for every failure; domain errors answer per the table in schemas/errors.py.

Every error response is JSON:
    {"code": 422, "status": "Unprocessable Entity", "message": "...",
     "error_code": "VALIDATION_ERROR", "errors": {...field: [messages]...}}
`errors` is present only for validation failures. `error_code` is stable: clients branch on it,
never on `message`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

from schemas.common import ApiErrorSchema
from schemas.errors import status_and_code

log = logging.getLogger(__name__)
ERROR_BODY = ApiErrorSchema()

# HTTP status -> the error_code of a failure that has no more specific one.
GENERIC_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


class ApiError(HTTPException):
    """An HTTP failure with a stable error_code (raised by views and error mappers)."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description=message)
        self.code = status
        self.error_code = error_code
        self.errors = errors
        self.extra_headers = headers or {}


def error_response(
    status: int,
    message: str,
    error_code: str | None = None,
    errors: dict[str, Any] | None = None,
) -> Response:
    """Build the one error JSON response."""
    error = {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": message,
        "error_code": error_code or GENERIC_CODES.get(status, "ERROR"),
    }
    if errors:
        error["errors"] = errors
    response = jsonify(ERROR_BODY.dump(error))
    response.status_code = status
    return response


def _validation_errors(exc: HTTPException) -> dict[str, Any] | None:
    """Return webargs/marshmallow messages carried by a smorest abort(422), if any."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict) and isinstance(data.get("messages"), dict):
        messages = data["messages"]
        # webargs nests by location ({"json": {...}}); a client wants the fields.
        if len(messages) == 1:
            (only,) = messages.values()
            if isinstance(only, dict):
                return only
        return messages
    return None


def handle_http_exception(exc: HTTPException) -> Response:
    """Render any werkzeug/Flask/smorest HTTP exception in the one shape."""
    status = exc.code or 500
    errors = exc.errors if isinstance(exc, ApiError) else _validation_errors(exc)
    error_code = exc.error_code if isinstance(exc, ApiError) else None
    message = exc.description or HTTPStatus(status).phrase
    if errors and status == 422 and not isinstance(exc, ApiError):
        message = "the request is not valid: see errors"
    response = error_response(status, message, error_code, errors)
    for name, value in exc.get_headers() if not isinstance(exc, ApiError) else []:
        if name.lower() not in {"content-type", "content-length"}:
            response.headers[name] = value
    if isinstance(exc, ApiError):
        response.headers.update(exc.extra_headers)
    return response


def handle_unexpected(exc: Exception) -> Response:
    """Log an unexpected failure with its traceback and answer 500 without details."""
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    log.exception("event=unhandled_error error=%s", type(exc).__name__)
    return handle_http_exception(InternalServerError("internal error"))


def handle_dependency_down(exc: Exception) -> Response:
    """Answer 503 when Redis or PostgreSQL cannot be reached: the client may retry."""
    log.error("event=dependency_unavailable error=%r", exc)
    response = error_response(
        503, "a service this request needs is unavailable; retry shortly", "DEPENDENCY_UNAVAILABLE"
    )
    response.headers["Retry-After"] = "5"
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the handlers so every failure answers in the one shape."""
    import redis
    from sqlalchemy.exc import OperationalError

    from domain.errors import DomainError
    from services.booking import AccountNotFound

    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(redis.RedisError, handle_dependency_down)
    app.register_error_handler(OperationalError, handle_dependency_down)
    app.register_error_handler(
        AccountNotFound, lambda exc: error_response(404, "no such account", "ACCOUNT_NOT_FOUND")
    )
    app.register_error_handler(Exception, handle_unexpected)


def handle_domain_error(exc: Exception) -> Response:
    """Render a domain error with its status and error_code from the table."""
    found = status_and_code(exc)
    if found is None:
        return handle_unexpected(exc)
    status, error_code = found
    return error_response(status, str(exc), error_code)
