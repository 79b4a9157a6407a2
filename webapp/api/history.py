"""The caller's history: orders, fills, ledger, closed positions, changes for a resync.

Every list is a keyset page, newest first: `limit` (1 to 200, default 50) rows, and
`next_before_id`, the id of the page's last row when more rows follow (else null). Send it back as
`before_id` to read the next page: `{"items": [...], "next_before_id": int | null}`. Filters:
`symbol` (or `kind` for the ledger) and the half-open time window `from` <= t < `to`, ISO 8601.
Every query is scoped by the caller's account: another account's rows are never shown, and
another account's order id answers 404 NOT_FOUND exactly like an id that does not exist.

`GET /api/orders` shares its URL with `POST /api/orders` (webapp/api/orders.py): Flask routes by
method, so the two views live in their own blueprints. `/api/orders/history` and `/api/capital`
are aliases kept for clients of the seed system.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import jwt_required

from models import LedgerKind, db
from services import history
from services.accounts import account_summary
from webapp.api.base import Blueprint
from webapp.context import current_account, quote_store
from webapp.errors import ApiError
from webapp.schemas.common import ApiErrorSchema
from webapp.schemas.history import (
    ChangesArgs,
    ChangesSchema,
    FillPageSchema,
    LedgerPageArgs,
    LedgerPageSchema,
    OrderPageSchema,
    PositionPageSchema,
    SymbolPageArgs,
)
from webapp.schemas.trading import AccountSchema, OrderSchema

blp = Blueprint("history", __name__, url_prefix="/api", description="Your history")
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def _page(args: dict[str, Any]) -> history.Page:
    return history.Page(limit=args["limit"], before_id=args["before_id"])


def _window(args: dict[str, Any]) -> history.Window:
    return history.Window(start=args["start"], end=args["end"])


def _orders(args: dict[str, Any]) -> dict[str, Any]:
    account_id = current_account().id
    return history.order_page(db.session, account_id, _page(args), _window(args), args["symbol"])


@blp.route("/orders/history", endpoint="OrderHistoryAlias")  # the seed system's path
@blp.route("/orders")
class OrderHistory(MethodView):
    @jwt_required()
    @blp.arguments(SymbolPageArgs, location="query")
    @blp.response(200, OrderPageSchema)
    @blp.doc(security=SECURITY)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List your orders, newest first (filter by symbol, from, to)."""
        return _orders(args)


@blp.route("/orders/<int:order_id>")
class OrderById(MethodView):
    @jwt_required()
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="No such order of yours")
    @blp.doc(security=SECURITY)
    def get(self, order_id: int) -> dict[str, Any]:
        """Return one of your orders."""
        order = history.find_order(db.session, current_account().id, order_id)
        if order is None:
            raise ApiError(404, "NOT_FOUND", "no such order")
        return order


@blp.route("/fills")
class Fills(MethodView):
    @jwt_required()
    @blp.arguments(SymbolPageArgs, location="query")
    @blp.response(200, FillPageSchema)
    @blp.doc(security=SECURITY)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List your fills, newest first (filter by symbol, from, to)."""
        account_id = current_account().id
        return history.fill_page(db.session, account_id, _page(args), _window(args), args["symbol"])


@blp.route("/ledger")
class Ledger(MethodView):
    @jwt_required()
    @blp.arguments(LedgerPageArgs, location="query")
    @blp.response(200, LedgerPageSchema)
    @blp.doc(security=SECURITY)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List your ledger entries (balance changes), newest first (filter by kind, from, to)."""
        kind = None if args["kind"] is None else LedgerKind(args["kind"])
        account_id = current_account().id
        return history.ledger_page(db.session, account_id, _page(args), _window(args), kind)


@blp.route("/history/closed")
class ClosedPositions(MethodView):
    @jwt_required()
    @blp.arguments(SymbolPageArgs, location="query")
    @blp.response(200, PositionPageSchema)
    @blp.doc(security=SECURITY)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List your closed positions with realised PnL, last closed first (window on closed_at)."""
        account_id = current_account().id
        return history.closed_page(
            db.session, account_id, _page(args), _window(args), args["symbol"]
        )


@blp.route("/account/changes")
class AccountChanges(MethodView):
    @jwt_required()
    @blp.arguments(ChangesArgs, location="query")
    @blp.response(200, ChangesSchema)
    @blp.doc(security=SECURITY)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Return everything after txn_seq `since` and the open positions, to resync a client."""
        return history.account_changes(db.session, current_account(), args["since"], args["limit"])


@blp.route("/capital")
class Capital(MethodView):
    @jwt_required()
    @blp.response(200, AccountSchema)
    @blp.doc(security=SECURITY)
    def get(self) -> dict[str, Any]:
        """Return balance, equity, margin and free margin (alias of GET /api/account)."""
        return account_summary(db.session, current_account(), quote_store())
