"""Open positions valued live, and closing them (plus the paths the older frontend uses).

A close answers like POST /api/orders, with 201: it books a new (closing) order and its fill.
`<symbol:...>` only matches upper-case symbols, so the literal routes `snapshot`, `close` and
`exit` are never taken for one.
"""

from __future__ import annotations

from typing import Any

from flask.blueprints import BlueprintSetupState
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from werkzeug.routing import BaseConverter

from domain.records import ValuedPosition
from schemas.common import ApiErrorSchema
from schemas.orders import OrderResultSchema
from schemas.positions import (
    CloseBySymbolSchema,
    ClosePositionSchema,
    ExitPositionSchema,
    PositionsSnapshotSchema,
    ValuedPositionSchema,
)
from services.booking import OrderResult
from services.positions import (
    AccountSnapshot,
    close_position,
    close_position_by_id,
    snapshot,
    valued_position,
)
from webapp.api.base import Blueprint
from webapp.context import collaborators, current_account_id, now, quote_store, sql

blp = Blueprint(
    "positions", __name__, url_prefix="/api/positions", description="Your open positions"
)
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


class SymbolConverter(BaseConverter):
    """A symbol in a path: 3 to 16 of A-Z0-9."""

    regex = "[A-Z0-9]{3,16}"


def _install_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["symbol"] = SymbolConverter


# Recorded before the routes, so the converter exists when their rules are added.
blp.record_once(_install_converter)


def _close(symbol: str, body: dict[str, Any]) -> OrderResult:
    """Close the caller's position in a symbol (all of it unless body has lots)."""
    return close_position(
        collaborators(), current_account_id(), symbol, body.get("lots"), now(),
        client_order_id=body.get("client_order_id"),
    )  # fmt: skip


@blp.route("")
class Positions(MethodView):
    @jwt_required()
    @blp.response(200, ValuedPositionSchema(many=True))
    @blp.doc(security=BEARER)
    def get(self) -> list[ValuedPosition]:
        """List your open positions with current price, unrealised PnL and used margin."""
        return snapshot(sql(), quote_store(), current_account_id()).positions


@blp.route("/snapshot")
class PositionsSnapshot(MethodView):
    @jwt_required()
    @blp.response(200, PositionsSnapshotSchema)
    @blp.doc(security=BEARER)
    def get(self) -> AccountSnapshot:
        """Return your account and open positions at one set of prices."""
        return snapshot(sql(), quote_store(), current_account_id())


@blp.route("/close")
class PositionsClose(MethodView):
    @jwt_required()
    @blp.arguments(CloseBySymbolSchema)
    @blp.response(201, OrderResultSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="POSITION_NOT_FOUND")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any]) -> OrderResult:
        """Close the position named in the body, all or `lots` of it."""
        return _close(body["symbol"], body)


@blp.route("/exit")
class PositionsExit(MethodView):
    @jwt_required()
    @blp.arguments(ExitPositionSchema)
    @blp.response(201, OrderResultSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="POSITION_NOT_FOUND")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any]) -> OrderResult:
        """Close the whole open position with this id."""
        account_id = current_account_id()
        return close_position_by_id(
            collaborators(), account_id, body["position_id"], now(),
            client_order_id=body.get("client_order_id"),
        )  # fmt: skip


@blp.route("/<symbol:symbol>")
class PositionsBySymbol(MethodView):
    @jwt_required()
    @blp.response(200, ValuedPositionSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="POSITION_NOT_FOUND")
    @blp.doc(security=BEARER)
    def get(self, symbol: str) -> ValuedPosition:
        """Return your open position in a symbol, valued live."""
        return valued_position(sql(), quote_store(), current_account_id(), symbol)


@blp.route("/<symbol:symbol>/close")
class PositionsBySymbolClose(MethodView):
    @jwt_required()
    @blp.arguments(ClosePositionSchema, required=False)
    @blp.response(201, OrderResultSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="POSITION_NOT_FOUND")
    @blp.alt_response(409, schema=ApiErrorSchema, description="Refused: see error_code")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any], symbol: str) -> OrderResult:
        """Close your position in a symbol: all of it, or `lots` of it (a reducing order)."""
        return _close(symbol, body)
