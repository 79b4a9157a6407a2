"""Market orders."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import jwt_required

from domain.positions import Side
from schemas.common import ApiErrorSchema
from schemas.orders import OrderRequestSchema, OrderResultSchema
from services.orders import OrderRequest, OrderResult, place_market_order
from webapp.api.base import Blueprint
from webapp.context import collaborators, current_account_id, now

blp = Blueprint("orders", __name__, url_prefix="/api/orders", description="Market orders")


def submit_order(body: dict[str, Any]) -> OrderResult:
    """Place the caller's market order from a validated body."""
    request = OrderRequest(
        account_id=current_account_id(),
        symbol=body["symbol"],
        side=Side(body["side"]),
        lots=body["lots"],
        client_order_id=body.get("client_order_id"),
        price_bound=body.get("price_bound"),
    )
    return place_market_order(collaborators(), request, now())


@blp.route("")
class Orders(MethodView):
    @jwt_required()
    @blp.arguments(OrderRequestSchema)
    @blp.response(201, OrderResultSchema)
    @blp.alt_response(409, schema=ApiErrorSchema, description="Refused: see error_code")
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, body: dict[str, Any]) -> OrderResult:
        """Place a market order, filled at the server's bid/ask."""
        return submit_order(body)
