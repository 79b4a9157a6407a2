"""Open positions valued live, and closing them (plus the seed system's aliases).

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

from models import db
from services.positions import (
    close_position,
    close_position_by_id,
    positions_snapshot,
    valued_position,
    valued_positions,
)
from webapp.api.base import Blueprint
from webapp.context import collaborators, current_account, now, quote_store
from webapp.schemas.common import ApiErrorSchema
from webapp.schemas.positions import (
    CloseBySymbolSchema,
    ClosePositionSchema,
    ExitPositionSchema,
    PositionsSnapshotSchema,
)
from webapp.schemas.trading import OrderResultSchema, PositionSchema

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


def _close(symbol: str, body: dict[str, Any]) -> dict[str, Any]:
    """Close the caller's position in a symbol (all of it unless body has lots)."""
    account_id = current_account().id
    lots = body.get("lots")
    return close_position(db.session, collaborators(), account_id, symbol, lots, now())


@blp.route("")
class Positions(MethodView):
    @jwt_required()
    @blp.response(200, PositionSchema(many=True))
    @blp.doc(security=BEARER)
    def get(self) -> list[dict[str, Any]]:
        """List your open positions with current price, unrealised PnL and used margin."""
        return valued_positions(db.session, quote_store(), current_account())


@blp.route("/snapshot")
class PositionsSnapshot(MethodView):
    @jwt_required()
    @blp.response(200, PositionsSnapshotSchema)
    @blp.doc(security=BEARER)
    def get(self) -> dict[str, Any]:
        """Return your account and open positions at one set of prices (seed alias)."""
        return positions_snapshot(db.session, quote_store(), current_account())


@blp.route("/close")
class PositionsClose(MethodView):
    @jwt_required()
    @blp.arguments(CloseBySymbolSchema)
    @blp.response(201, OrderResultSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="POSITION_NOT_FOUND")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Close the position named in the body, all or `lots` of it (seed alias)."""
        return _close(body["symbol"], body)


@blp.route("/exit")
class PositionsExit(MethodView):
    @jwt_required()
    @blp.arguments(ExitPositionSchema)
    @blp.response(201, OrderResultSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="POSITION_NOT_FOUND")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Close the whole open position with this id (seed alias)."""
        account_id = current_account().id
        return close_position_by_id(
            db.session, collaborators(), account_id, body["position_id"], now()
        )


@blp.route("/<symbol:symbol>")
class PositionsBySymbol(MethodView):
    @jwt_required()
    @blp.response(200, PositionSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="POSITION_NOT_FOUND")
    @blp.doc(security=BEARER)
    def get(self, symbol: str) -> dict[str, Any]:
        """Return your open position in a symbol, valued live."""
        return valued_position(db.session, quote_store(), current_account(), symbol)


@blp.route("/<symbol:symbol>/close")
class PositionsBySymbolClose(MethodView):
    @jwt_required()
    @blp.arguments(ClosePositionSchema, required=False)
    @blp.response(201, OrderResultSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="POSITION_NOT_FOUND")
    @blp.alt_response(409, schema=ApiErrorSchema, description="Refused: see error_code")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any], symbol: str) -> dict[str, Any]:
        """Close your position in a symbol: all of it, or `lots` of it (a reducing order)."""
        return _close(symbol, body)
