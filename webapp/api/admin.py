"""Administration: hand-booked balance changes and the list of accounts. Admins only (403)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from domain.records import LedgerKind, LedgerRecord
from models import db
from schemas.admin import (
    AccountListQuerySchema,
    AdjustmentRequestSchema,
    AdjustmentResultSchema,
    AdminAccountPageSchema,
    IdempotencyHeaderSchema,
)
from schemas.common import ApiErrorSchema
from schemas.history import LedgerPageSchema
from services.accounts import AccountListing, Adjustment, account_page, adjust_balance
from services.history import Page, PageRequest, entries_of_kind
from webapp.api.base import Blueprint
from webapp.auth import admin_required, principal
from webapp.context import collaborators

blp = Blueprint("admin", __name__, url_prefix="/api/admin", description="Administration")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


@blp.route("/accounts")
class AdminAccounts(MethodView):
    @admin_required
    @blp.arguments(AccountListQuerySchema, location="query")
    @blp.response(200, AdminAccountPageSchema)
    @blp.alt_response(403, schema=ApiErrorSchema, description="FORBIDDEN: not an admin")
    @blp.doc(security=BEARER)
    def get(self, query: dict[str, Any]) -> Page[AccountListing]:
        """List accounts, newest first (keyset pages: pass next_before_id as before_id)."""
        return account_page(db.session, query["limit"], query["before_id"])


@blp.route("/negative-balance-resets")
class NegativeBalanceResets(MethodView):
    @admin_required
    @blp.arguments(AccountListQuerySchema, location="query")
    @blp.response(200, LedgerPageSchema)
    @blp.alt_response(403, schema=ApiErrorSchema, description="FORBIDDEN: not an admin")
    @blp.doc(security=BEARER)
    def get(self, query: dict[str, Any]) -> Page[LedgerRecord]:
        """List every negative balance reset (the broker's loss on a gap), newest first."""
        page = PageRequest(limit=query["limit"], before_id=query["before_id"])
        return entries_of_kind(db.session, LedgerKind.NEGATIVE_BALANCE_RESET, page)


@blp.route("/accounts/<int:account_id>/adjustments")
class AdminAdjustments(MethodView):
    @admin_required
    @blp.arguments(IdempotencyHeaderSchema, location="headers", as_kwargs=True)
    @blp.arguments(AdjustmentRequestSchema)
    @blp.response(201, AdjustmentResultSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="ACCOUNT_NOT_FOUND")
    @blp.alt_response(
        409, schema=ApiErrorSchema, description="INSUFFICIENT_FUNDS, IDEMPOTENCY_KEY_REUSED"
    )
    @blp.doc(security=BEARER)
    def post(
        self, body: dict[str, Any], account_id: int, idempotency_key: str | None
    ) -> Adjustment | tuple[Adjustment, int, dict[str, str]]:
        """Book a deposit, withdrawal or signed adjustment on an account, with a reason.

        Send an `Idempotency-Key` to make retries safe: the same key and body return the first
        result and book nothing."""
        adjustment = adjust_balance(
            db.session, collaborators(), account_id, LedgerKind(body["kind"]), body["amount"],
            body["reason"].strip(), principal().user_id, idempotency_key,
        )  # fmt: skip
        if adjustment.replayed:
            return adjustment, 201, {"Idempotent-Replayed": "true"}
        return adjustment
