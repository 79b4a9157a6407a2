"""The margin check: what an order would need and whether it would pass, without booking it."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import jwt_required

from domain.errors import DomainError
from domain.positions import Side
from models import db
from services.margin import what_if, what_if_body
from webapp.api.base import Blueprint
from webapp.context import current_account, now, quote_store
from webapp.errors import DOMAIN_ERRORS
from webapp.schemas.common import ApiErrorSchema
from webapp.schemas.positions import MarginCheckRequestSchema, MarginCheckSchema

blp = Blueprint("margin", __name__, url_prefix="/api/margin", description="Margin checks")


def error_code_of(error: DomainError | None) -> str | None:
    """Return the error_code the domain error table gives an error (None for no error)."""
    if error is None:
        return None
    for cls in type(error).__mro__:
        if cls in DOMAIN_ERRORS:
            return DOMAIN_ERRORS[cls][1]
    return "ERROR"


@blp.route("/check")
class MarginCheck(MethodView):
    @jwt_required()
    @blp.arguments(MarginCheckRequestSchema)
    @blp.response(200, MarginCheckSchema)
    @blp.alt_response(409, schema=ApiErrorSchema, description="PRICE_STALE: no quote at all")
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Check an order's margin at the current price; `allowed` false says why in `reason`."""
        result = what_if(
            db.session, quote_store(), current_account(), body["symbol"], Side(body["side"]),
            body["lots"], now(), enforce_sessions=current_app.config["ENFORCE_MARKET_HOURS"],
        )  # fmt: skip
        return what_if_body(result, error_code_of(result.refusal))
