"""(placeholder: quotes and candles)"""

from __future__ import annotations

from webapp.api.base import Blueprint

blp = Blueprint("market", __name__, description="Quotes and candles")
