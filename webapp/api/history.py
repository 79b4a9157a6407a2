"""(placeholder: filled in by the trading-core API work)"""

from __future__ import annotations

from webapp.api.base import Blueprint

blp = Blueprint("history", __name__, description="history")
