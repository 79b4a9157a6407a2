"""The one table from domain errors to an HTTP status and a stable `error_code`.

The web layer answers a domain error with the status and code given here; the margin check and
the symbol listings report the same code as the `reason` an order would be refused with.
Clients branch on `error_code`, never on `message`.
"""

from __future__ import annotations

from domain import errors as e

DOMAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {
    e.UnknownSymbol: (422, "UNKNOWN_SYMBOL"),
    e.InvalidLots: (422, "INVALID_LOTS"),
    e.MarketClosed: (409, "MARKET_CLOSED"),
    e.PriceStale: (409, "PRICE_STALE"),
    e.InsufficientMargin: (409, "INSUFFICIENT_MARGIN"),
    e.PriceBoundExceeded: (409, "PRICE_BOUND_EXCEEDED"),
    e.NoConversionRate: (503, "NO_CONVERSION_RATE"),
    e.ConversionRateStale: (409, "CONVERSION_RATE_STALE"),
    e.AccountDisabled: (403, "ACCOUNT_DISABLED"),
    e.DuplicateClientOrderId: (409, "DUPLICATE_CLIENT_ORDER_ID"),
    e.IdempotencyKeyReused: (409, "IDEMPOTENCY_KEY_REUSED"),
    e.PositionNotFound: (404, "POSITION_NOT_FOUND"),
    e.InsufficientFunds: (409, "INSUFFICIENT_FUNDS"),
    e.InvalidAmount: (422, "INVALID_AMOUNT"),
}


def status_and_code(error: Exception) -> tuple[int, str] | None:
    """Return the HTTP status and error_code of a domain error (None if it has none)."""
    for cls in type(error).__mro__:
        if cls in DOMAIN_ERRORS:
            return DOMAIN_ERRORS[cls]
    return None


def error_code_of(error: Exception | None) -> str | None:
    """Return the error_code of a domain error, None for no error."""
    if error is None:
        return None
    found = status_and_code(error)
    return found[1] if found else "ERROR"
