"""The caller's trading account."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import jwt_required

from models import db
from services.accounts import account_summary
from webapp.api.base import Blueprint
from webapp.context import current_account, quote_store
from webapp.schemas.trading import AccountSchema

blp = Blueprint("account", __name__, url_prefix="/api/account", description="Your account")


@blp.route("")
class AccountView(MethodView):
    @jwt_required()
    @blp.response(200, AccountSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self) -> dict[str, Any]:
        """Return balance, equity, unrealised PnL, margin and the transaction sequence."""
        return account_summary(db.session, current_account(), quote_store())
