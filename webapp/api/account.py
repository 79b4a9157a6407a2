"""The caller's trading account."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required

from domain.records import AccountSummary
from schemas.account import AccountSchema
from services.accounts import account_summary
from webapp.api.base import Blueprint
from webapp.context import current_account_id, quote_store, sql

blp = Blueprint("account", __name__, url_prefix="/api/account", description="Your account")


def summary() -> AccountSummary:
    """Return the caller's account valued now."""
    return account_summary(sql(), quote_store(), current_account_id())


@blp.route("")
class AccountView(MethodView):
    @jwt_required()
    @blp.response(200, AccountSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self) -> AccountSummary:
        """Return balance, equity, unrealised PnL, margin and the transaction sequence."""
        return summary()
