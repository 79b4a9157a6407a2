"""`POST /api/sim/fill`: a market order under the path the older frontend uses.

It is POST /api/orders under another name. The older system let a client send the fill price;
here any price field is refused (422) and the order fills at the server's bid/ask. The endpoint
exists only when SIM_FILL_ENABLED is set (off in production): otherwise it is 404.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import jwt_required

from schemas.common import ApiErrorSchema
from schemas.orders import OrderResultSchema, SimFillRequestSchema
from services.orders import OrderResult
from webapp.api.base import Blueprint
from webapp.api.orders import submit_order
from webapp.errors import ApiError

blp = Blueprint("sim_fill", __name__, url_prefix="/api/sim", description="Fills (older path)")


@blp.before_request
def _only_when_enabled() -> None:
    """Answer 404 for the whole blueprint unless SIM_FILL_ENABLED is set."""
    if not current_app.config["SIM_FILL_ENABLED"]:
        raise ApiError(404, "NOT_FOUND", "not found")


@blp.route("/fill")
class SimFill(MethodView):
    @jwt_required()
    @blp.arguments(SimFillRequestSchema)
    @blp.response(201, OrderResultSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="NOT_FOUND: disabled")
    @blp.alt_response(409, schema=ApiErrorSchema, description="Refused: see error_code")
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, body: dict[str, Any]) -> OrderResult:
        """Book a market order at the server's price (another path of POST /api/orders)."""
        return submit_order(body)
