"""Quotes and candles.

Access: a valid access token is required on both endpoints, like the rest of the trading API
(the quotes are the broker's marked-up client prices, shown only to its clients).

- `GET /api/quotes?symbols=EURUSD,XAUUSD`: the current client quote of each symbol (every
  catalogue symbol without `symbols`), in the order asked. A symbol with no quote is listed with
  null prices; `tradeable`/`reason` follow domain.pricing.untradeable_reason now. An unknown
  symbol is 422 UNKNOWN_SYMBOL naming every unknown one.
- `GET /api/candles?symbol=&interval=&limit=`: the last `limit` (1..500, default 100) bars, oldest
  first, served from the shared cache of services/candles.py (never one vendor call per request).
  Candles that cannot be served are 503 MARKET_DATA_UNAVAILABLE with Retry-After.

The vendor REST client holds the per-endpoint rate-limit clock, so there is one per process and
app (and per base URL, token and plan): `ALLTICK_API_KEY` or else `SIMULATOR_TOKEN`, at
`ALLTICK_BASE_REST`, on the plan `ALLTICK_PLAN` (default basic, the strictest paid pacing).
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from flask import Flask, Response, current_app
from flask.views import MethodView
from flask_jwt_extended import jwt_required

from domain.instruments import INSTRUMENTS, Instrument
from marketdata.alltick.rest_client import AlltickRest
from schemas.common import ApiErrorSchema
from schemas.market import (
    CandleListSchema,
    CandlesQuerySchema,
    MarketQuoteListSchema,
    QuotesQuerySchema,
)
from services.candles import CandleSeries, CandleService, MarketDataUnavailable
from services.history import Page
from services.quotes import QuoteStatus
from webapp.api.base import Blueprint
from webapp.api.symbols import statuses
from webapp.errors import ApiError, error_response
from webapp.extensions import redis_store

log = logging.getLogger(__name__)

blp = Blueprint("market", __name__, url_prefix="/api", description="Quotes and candles")
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]

_clients: weakref.WeakKeyDictionary[Flask, dict[tuple[str, str, str], AlltickRest]] = (
    weakref.WeakKeyDictionary()
)
_clients_lock = threading.Lock()


def vendor_rest() -> AlltickRest:
    """Return this process's vendor REST client for the current app's settings."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    token = config["ALLTICK_API_KEY"] or config["SIMULATOR_TOKEN"]
    settings = (config["ALLTICK_BASE_REST"], token, config["ALLTICK_PLAN"])
    with _clients_lock:
        per_app = _clients.setdefault(app, {})
        if settings not in per_app:
            per_app[settings] = AlltickRest(settings[0], settings[1], plan=settings[2])
        return per_app[settings]


@blp.errorhandler(MarketDataUnavailable)
def _market_data_unavailable(exc: MarketDataUnavailable) -> Response:
    """Answer 503 when candles cannot be served: the client may retry shortly.

    The cause (vendor URL, query, exception) goes to the log only: clients get a fixed message.
    """
    log.warning("event=candles_unavailable cause=%r", str(exc))
    message = "market data unavailable: candles cannot be served now, retry shortly"
    response = error_response(503, message, "MARKET_DATA_UNAVAILABLE")
    response.headers["Retry-After"] = "5"
    return response


def _instruments(symbols: list[str] | None) -> list[Instrument]:
    """Return the instruments asked for (all without a list); 422 names every unknown one."""
    if symbols is None:
        return list(INSTRUMENTS.values())
    unknown = [symbol for symbol in symbols if symbol not in INSTRUMENTS]
    if unknown:
        names = ", ".join(unknown)
        raise ApiError(422, "UNKNOWN_SYMBOL", f"unknown symbol: {names}", {"symbols": unknown})
    return [INSTRUMENTS[symbol] for symbol in symbols]


@blp.route("/quotes")
class Quotes(MethodView):
    @jwt_required()
    @blp.arguments(QuotesQuerySchema, location="query")
    @blp.response(200, MarketQuoteListSchema)
    @blp.alt_response(422, schema=ApiErrorSchema, description="UNKNOWN_SYMBOL or bad query")
    @blp.doc(security=SECURITY)
    def get(self, query: dict[str, Any]) -> Page[QuoteStatus]:
        """Return the current client quotes of the symbols (all without `symbols`)."""
        return Page(statuses(_instruments(query["symbols"])), None)


@blp.route("/candles")
class Candles(MethodView):
    @jwt_required()
    @blp.arguments(CandlesQuerySchema, location="query")
    @blp.response(200, CandleListSchema)
    @blp.alt_response(422, schema=ApiErrorSchema, description="UNKNOWN_SYMBOL or bad query")
    @blp.alt_response(503, schema=ApiErrorSchema, description="MARKET_DATA_UNAVAILABLE")
    @blp.doc(security=SECURITY)
    def get(self, query: dict[str, Any]) -> CandleSeries:
        """Return the latest bars of a symbol at an interval, oldest first."""
        service = CandleService(redis_store.client, vendor_rest())
        return service.get(query["symbol"], query["interval"], query["limit"])
