"""Administration: hand-booked balance changes and the list of accounts. Admins only (403)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user
from sqlalchemy import select

from models import Account, LedgerKind, User, db
from services.accounts import account_summary, adjust_balance
from services.kv import redis_store
from services.present import ledger_body, money
from webapp.api.base import Blueprint
from webapp.auth import admin_required
from webapp.context import now, quote_store
from webapp.schemas.common import ApiErrorSchema
from webapp.schemas.positions import (
    AccountListQuerySchema,
    AdjustmentRequestSchema,
    AdjustmentResultSchema,
    AdminAccountPageSchema,
)

blp = Blueprint("admin", __name__, url_prefix="/api/admin", description="Administration")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def _account_page(limit: int, before_id: int | None) -> dict[str, Any]:
    """Return up to `limit` accounts, newest first, older than `before_id` when given."""
    query = select(Account, User.username).join(User).order_by(Account.id.desc())
    if before_id is not None:
        query = query.where(Account.id < before_id)
    rows = db.session.execute(query.limit(limit + 1)).all()
    accounts = [
        {
            "id": account.id, "user_id": account.user_id, "username": username,
            "currency": account.currency, "balance": money(account.balance),
            "leverage": account.leverage, "status": account.status.value,
            "txn_seq": account.txn_seq,
        }
        for account, username in rows[:limit]
    ]  # fmt: skip
    more = len(rows) > limit
    return {"accounts": accounts, "next_before_id": accounts[-1]["id"] if more else None}


@blp.route("/accounts")
class AdminAccounts(MethodView):
    @admin_required
    @blp.arguments(AccountListQuerySchema, location="query")
    @blp.response(200, AdminAccountPageSchema)
    @blp.alt_response(403, schema=ApiErrorSchema, description="FORBIDDEN: not an admin")
    @blp.doc(security=BEARER)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """List accounts, newest first (keyset pages: pass next_before_id as before_id)."""
        return _account_page(query["limit"], query["before_id"])


@blp.route("/accounts/<int:account_id>/adjustments")
class AdminAdjustments(MethodView):
    @admin_required
    @blp.arguments(AdjustmentRequestSchema)
    @blp.response(201, AdjustmentResultSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="ACCOUNT_NOT_FOUND")
    @blp.alt_response(409, schema=ApiErrorSchema, description="INSUFFICIENT_FUNDS")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any], account_id: int) -> dict[str, Any]:
        """Book a deposit, withdrawal or signed adjustment on an account, with a reason."""
        entry = adjust_balance(
            db.session, quote_store(), redis_store.client, account_id, LedgerKind(body["kind"]),
            body["amount"], body["reason"].strip(), current_user.id, now(),
        )  # fmt: skip
        account = db.session.get_one(Account, entry.account_id)
        return {
            "entry": ledger_body(entry),
            "account": account_summary(db.session, account, quote_store()),
        }
