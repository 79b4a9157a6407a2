"""The margin check: what an order would need and whether it would pass, without booking it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import jwt_required

from domain.positions import Side
from schemas.account import MarginCheckRequestSchema, MarginCheckSchema
from schemas.common import ApiErrorSchema
from services.margin import MarginWhatIf, what_if
from webapp.api.base import Blueprint
from webapp.context import collaborators, current_account_id, now

blp = Blueprint("margin", __name__, url_prefix="/api/margin", description="Margin checks")


@blp.route("/check")
class MarginCheck(MethodView):
    @jwt_required()
    @blp.arguments(MarginCheckRequestSchema)
    @blp.response(200, MarginCheckSchema)
    @blp.alt_response(409, schema=ApiErrorSchema, description="PRICE_STALE: no quote at all")
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, body: dict[str, Any]) -> MarginWhatIf:
        """Check an order's margin at the current price; `allowed` false says why in `reason`."""
        return what_if(
            collaborators(), current_account_id(), body["symbol"], Side(body["side"]),
            body["lots"], now(),
        )  # fmt: skip
