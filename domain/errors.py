"""Structured domain errors.

Each error stores its fields as attributes of the same name and renders a human ``message``.
No HTTP status codes live here: the map from error class to status and error code belongs to the
web layer (``webapp/errors.py``).
"""

from __future__ import annotations

from decimal import Decimal


class DomainError(Exception):
    """Base class of every error raised by the trading domain."""

    def __init__(self, message: str, *fields: object) -> None:
        super().__init__(message)
        self._message = message
        # Kept so that pickling (e.g. across a task queue) rebuilds the subclass from its fields.
        self._fields = fields or (message,)

    @property
    def message(self) -> str:
        """Return the human-readable description of the error."""
        return self._message

    def __str__(self) -> str:
        return self._message

    def __reduce__(self) -> tuple[type[DomainError], tuple[object, ...]]:
        return (type(self), self._fields)


class UnknownSymbol(DomainError):
    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        super().__init__(f"unknown symbol {symbol!r}", symbol)


class InvalidLots(DomainError):
    def __init__(self, lots: Decimal, reason: str) -> None:
        self.lots = lots
        self.reason = reason
        super().__init__(f"invalid lots {lots}: {reason}", lots, reason)


class MarketClosed(DomainError):
    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        super().__init__(f"market for {symbol} is closed", symbol)


class PriceStale(DomainError):
    def __init__(self, symbol: str, age_seconds: Decimal | None, limit_seconds: int) -> None:
        self.symbol = symbol
        self.age_seconds = age_seconds
        self.limit_seconds = limit_seconds
        if age_seconds is None:
            text = f"no price for {symbol}"
        else:
            text = f"price for {symbol} is {age_seconds}s old (limit {limit_seconds}s)"
        super().__init__(text, symbol, age_seconds, limit_seconds)


class InsufficientMargin(DomainError):
    def __init__(
        self,
        required: Decimal,
        free: Decimal,
        currency: str,
        level_after: Decimal | None = None,
        min_level: Decimal | None = None,
    ) -> None:
        self.required = required
        self.free = free
        self.currency = currency
        self.level_after = level_after
        self.min_level = min_level
        text = f"insufficient margin: required {required} {currency}, free {free} {currency}"
        if level_after is not None and min_level is not None:
            text += (
                f"; the account would be at a margin level of {level_after}% after this order,"
                f" not above {min_level}%"
            )
        super().__init__(text, required, free, currency, level_after, min_level)


class PriceBoundExceeded(DomainError):
    def __init__(self, side: str, bound: Decimal, price: Decimal) -> None:
        self.side = side
        self.bound = bound
        self.price = price
        super().__init__(f"{side} price {price} is beyond the bound {bound}", side, bound, price)


class NoConversionRate(DomainError):
    def __init__(self, from_currency: str, to_currency: str) -> None:
        self.from_currency = from_currency
        self.to_currency = to_currency
        super().__init__(
            f"no conversion rate from {from_currency} to {to_currency}", from_currency, to_currency
        )


class ConversionRateStale(DomainError):
    def __init__(self, symbol: str, age_seconds: Decimal, limit_seconds: int) -> None:
        self.symbol = symbol
        self.age_seconds = age_seconds
        self.limit_seconds = limit_seconds
        super().__init__(
            f"the conversion rate {symbol} is {age_seconds}s old (limit {limit_seconds}s)",
            symbol,
            age_seconds,
            limit_seconds,
        )


class AccountDisabled(DomainError):
    def __init__(self, account_id: object) -> None:
        self.account_id = account_id
        super().__init__(f"account {account_id} is disabled", account_id)


class DuplicateClientOrderId(DomainError):
    def __init__(self, client_order_id: str) -> None:
        self.client_order_id = client_order_id
        super().__init__(
            f"client_order_id {client_order_id!r} was already used with another order",
            client_order_id,
        )


class IdempotencyKeyReused(DomainError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was already used with another request", key)


class PositionNotFound(DomainError):
    def __init__(self, symbol_or_id: str) -> None:
        self.symbol_or_id = symbol_or_id
        super().__init__(f"no open position for {symbol_or_id}", symbol_or_id)


class InsufficientFunds(DomainError):
    def __init__(self, amount: Decimal, available: Decimal, currency: str) -> None:
        self.amount = amount
        self.available = available
        self.currency = currency
        super().__init__(
            f"insufficient funds: requested {amount} {currency}, available {available} {currency}",
            amount,
            available,
            currency,
        )


class InvalidAmount(DomainError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid amount: {reason}", reason)
