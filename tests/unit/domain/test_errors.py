"""Domain errors carry structured fields and survive pickling."""

import pickle
from decimal import Decimal as D

import pytest

from domain.errors import (
    AccountDisabled,
    DomainError,
    DuplicateClientOrderId,
    InsufficientFunds,
    InsufficientMargin,
    InvalidAmount,
    InvalidLots,
    MarketClosed,
    NoConversionRate,
    PositionNotFound,
    PriceBoundExceeded,
    PriceStale,
    UnknownSymbol,
)

ERRORS = [
    (UnknownSymbol("EURXXX"), {"symbol": "EURXXX"}),
    (InvalidLots(D("0.015"), "too precise"), {"lots": D("0.015"), "reason": "too precise"}),
    (MarketClosed("EURUSD"), {"symbol": "EURUSD"}),
    (
        PriceStale("EURUSD", None, 10),
        {"symbol": "EURUSD", "age_seconds": None, "limit_seconds": 10},
    ),
    (PriceStale("EURUSD", D("12.5"), 10), {"age_seconds": D("12.5")}),
    (
        InsufficientMargin(D("1100.00"), D("1000.00"), "USD"),
        {"required": D("1100.00"), "free": D("1000.00"), "currency": "USD"},
    ),
    (
        PriceBoundExceeded("BUY", D("1.1"), D("1.2")),
        {"side": "BUY", "bound": D("1.1"), "price": D("1.2")},
    ),
    (NoConversionRate("EUR", "JPY"), {"from_currency": "EUR", "to_currency": "JPY"}),
    (AccountDisabled(42), {"account_id": 42}),
    (DuplicateClientOrderId("abc"), {"client_order_id": "abc"}),
    (PositionNotFound("EURUSD"), {"symbol_or_id": "EURUSD"}),
    (
        InsufficientFunds(D("10"), D("5"), "EUR"),
        {"amount": D("10"), "available": D("5"), "currency": "EUR"},
    ),
    (InvalidAmount("must be positive"), {"reason": "must be positive"}),
]


@pytest.mark.parametrize(("error", "fields"), ERRORS)
def test_fields_message_and_pickling(error: DomainError, fields: dict[str, object]) -> None:
    assert isinstance(error, DomainError)
    for name, value in fields.items():
        assert getattr(error, name) == value
    assert error.message == str(error) and error.message
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and copy.message == error.message
    for name, value in fields.items():
        assert getattr(copy, name) == value


def test_messages_read_well() -> None:
    assert str(PriceStale("EURUSD", None, 10)) == "no price for EURUSD"
    assert str(InsufficientMargin(D("1100.00"), D("1000.00"), "USD")) == (
        "insufficient margin: required 1100.00 USD, free 1000.00 USD"
    )
    assert DomainError("plain").message == "plain"
