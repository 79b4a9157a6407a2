"""The symbol catalogue with each symbol's current client quote and whether it can be traded.

Access: a valid access token is required, like the rest of the trading API (the quotes are the
broker's client prices, marked up, and are shown only to its clients).

A symbol's `quote` is its latest client quote (bid/ask with the markup) or null when there is
none. `tradeable` and `reason` follow domain.pricing.untradeable_reason at the time of the
request: `reason` is MARKET_CLOSED (only when ENFORCE_MARKET_HOURS is on), PRICE_STALE (no quote,
or one older than the symbol's staleness_seconds) or null. A stale quote is still shown.
"""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import jwt_required

from domain.instruments import INSTRUMENTS, Instrument
from schemas.common import ApiErrorSchema
from schemas.symbols import SymbolListSchema, SymbolSchema
from services.history import Page
from services.quotes import QuoteStatus, quote_statuses
from webapp.api.base import Blueprint
from webapp.context import now, quote_store
from webapp.errors import ApiError

blp = Blueprint("symbols", __name__, url_prefix="/api/symbols", description="Symbols and quotes")
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def statuses(instruments: list[Instrument]) -> list[QuoteStatus]:
    """Return the instruments' quotes and tradeability now (one Redis round trip)."""
    enforce = current_app.config["ENFORCE_MARKET_HOURS"]
    return quote_statuses(quote_store(), instruments, now(), enforce)


@blp.route("")
class Symbols(MethodView):
    @jwt_required()
    @blp.response(200, SymbolListSchema)
    @blp.doc(security=SECURITY)
    def get(self) -> Page[QuoteStatus]:
        """List every symbol with its terms, current quote and tradeability."""
        return Page(statuses(list(INSTRUMENTS.values())), None)


@blp.route("/<string:symbol>")
class SymbolBySymbol(MethodView):
    @jwt_required()
    @blp.response(200, SymbolSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="Unknown symbol")
    @blp.doc(security=SECURITY)
    def get(self, symbol: str) -> QuoteStatus:
        """Return one symbol with its terms, current quote and tradeability."""
        instrument = INSTRUMENTS.get(symbol)
        if instrument is None:
            raise ApiError(404, "UNKNOWN_SYMBOL", f"unknown symbol {symbol!r}")
        return statuses([instrument])[0]
