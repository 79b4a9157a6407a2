"""The caller's history: orders, fills, ledger, closed positions, changes for a resync.

Every list is a keyset page, newest first: `limit` (1 to 200, default 50) rows, and
`next_before_id`, the id of the page's last row when more rows follow (else null). Send it back as
`before_id` to read the next page: `{"items": [...], "next_before_id": int | null}`. Filters:
`symbol` (or `kind` for the ledger) and the half-open time window `from` <= t < `to`, ISO 8601.
Every query is scoped by the caller's account: another account's rows are never shown, and
another account's order id answers 404 NOT_FOUND exactly like an id that does not exist.

`GET /api/orders` shares its URL with `POST /api/orders` (webapp/api/orders.py): Flask routes by
method, so the two views live in their own blueprints. `/api/orders/history` and `/api/capital`
are the same resources under the paths the older frontend uses.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import jwt_required

from domain.records import (
    AccountSummary,
    FillRecord,
    LedgerRecord,
    OrderRecord,
    PositionRecord,
)
from models import db
from schemas.account import AccountSchema
from schemas.common import ApiErrorSchema
from schemas.history import (
    ChangesArgs,
    ChangesSchema,
    FillPageSchema,
    LedgerPageArgs,
    LedgerPageSchema,
    OrderPageSchema,
    PositionPageSchema,
    SymbolPageArgs,
)
from schemas.orders import OrderSchema
from services import history
from webapp.api.account import summary
from webapp.api.base import Blueprint
from webapp.context import current_account_id
from webapp.errors import ApiError

blp = Blueprint("history", __name__, url_prefix="/api", description="Your history")
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def _page(args: dict[str, Any]) -> history.PageRequest:
    return history.PageRequest(limit=args["limit"], before_id=args["before_id"])


def _window(args: dict[str, Any]) -> history.Window:
    return history.Window(start=args["start"], end=args["end"])


def _orders(args: dict[str, Any]) -> history.Page[OrderRecord]:
    account_id = current_account_id()
    return history.order_page(db.session, account_id, _page(args), _window(args), args["symbol"])


@blp.route("/orders/history", endpoint="OrderHistoryAlias")  # the older frontend's path
@blp.route("/orders")
class OrderHistory(MethodView):
    @jwt_required()
    @blp.arguments(SymbolPageArgs, location="query")
    @blp.response(200, OrderPageSchema)
    @blp.doc(security=SECURITY)
    def get(self, args: dict[str, Any]) -> history.Page[OrderRecord]:
        """List your orders, newest first (filter by symbol, from, to)."""
        return _orders(args)


@blp.route("/orders/<int:order_id>")
class OrderById(MethodView):
    @jwt_required()
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="No such order of yours")
    @blp.doc(security=SECURITY)
    def get(self, order_id: int) -> OrderRecord:
        """Return one of your orders."""
        order = history.find_order(db.session, current_account_id(), order_id)
        if order is None:
            raise ApiError(404, "NOT_FOUND", "no such order")
        return order


@blp.route("/fills")
class Fills(MethodView):
    @jwt_required()
    @blp.arguments(SymbolPageArgs, location="query")
    @blp.response(200, FillPageSchema)
    @blp.doc(security=SECURITY)
    def get(self, args: dict[str, Any]) -> history.Page[FillRecord]:
        """List your fills, newest first (filter by symbol, from, to)."""
        account_id = current_account_id()
        return history.fill_page(db.session, account_id, _page(args), _window(args), args["symbol"])


@blp.route("/ledger")
class Ledger(MethodView):
    @jwt_required()
    @blp.arguments(LedgerPageArgs, location="query")
    @blp.response(200, LedgerPageSchema)
    @blp.doc(security=SECURITY)
    def get(self, args: dict[str, Any]) -> history.Page[LedgerRecord]:
        """List your ledger entries (balance changes), newest first (filter by kind, from, to)."""
        account_id = current_account_id()
        page, window = _page(args), _window(args)
        return history.ledger_page(db.session, account_id, page, window, args["kind"])


@blp.route("/history/closed")
class ClosedPositions(MethodView):
    @jwt_required()
    @blp.arguments(SymbolPageArgs, location="query")
    @blp.response(200, PositionPageSchema)
    @blp.doc(security=SECURITY)
    def get(self, args: dict[str, Any]) -> history.Page[PositionRecord]:
        """List your closed positions with realised PnL, last closed first (window on closed_at)."""
        account_id = current_account_id()
        return history.closed_page(
            db.session, account_id, _page(args), _window(args), args["symbol"]
        )


@blp.route("/account/changes")
class AccountChanges(MethodView):
    @jwt_required()
    @blp.arguments(ChangesArgs, location="query")
    @blp.response(200, ChangesSchema)
    @blp.doc(security=SECURITY)
    def get(self, args: dict[str, Any]) -> history.Changes:
        """Return everything after txn_seq `since` and the open positions, to resync a client."""
        account_id = current_account_id()
        return history.account_changes(db.session, account_id, args["since"], args["limit"])


@blp.route("/capital")
class Capital(MethodView):
    @jwt_required()
    @blp.response(200, AccountSchema)
    @blp.doc(security=SECURITY)
    def get(self) -> AccountSummary:
        """Return balance, equity, margin and free margin (the same as GET /api/account)."""
        return summary()
