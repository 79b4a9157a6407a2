"""The Blueprint every resource uses: strict JSON parsing and the one error shape.

webargs parses bodies with the standard json module, which accepts NaN and Infinity, keeps the
last of duplicate keys and makes floats; this parser uses webapp.jsonparse.strict_loads instead.
A body sent with a content type other than JSON is refused with 415 rather than ignored.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import flask
import flask_smorest
import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from webapp.errors import ApiError
from webapp.jsonparse import StrictJSONError, strict_loads


class StrictParser(FlaskParser):
    """webargs' Flask parser with strict JSON and explicit media-type errors."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {
        "json": ma.RAISE,
        "query": ma.RAISE,
        "view_args": ma.RAISE,
        "form": ma.RAISE,
        "headers": ma.EXCLUDE,
        "cookies": ma.EXCLUDE,
        "files": ma.RAISE,
        "json_or_form": ma.RAISE,
    }

    def _raw_load_json(self, req: flask.Request) -> Any:
        body = req.get_data(cache=True)
        if not body:
            return core.missing
        if not is_json_request(req):
            raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json")
        return strict_loads(body)

    def _handle_invalid_json_error(
        self,
        error: json.JSONDecodeError | UnicodeDecodeError,
        req: flask.Request,
        *args: Any,
        **kwargs: Any,
    ) -> NoReturn:
        reason = error.reason if isinstance(error, StrictJSONError) else "malformed JSON"
        raise ApiError(400, "INVALID_JSON", f"the body is not valid JSON: {reason}")


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest Blueprint with the strict parser."""

    ARGUMENTS_PARSER = StrictParser()
