"""Conversion rates (direct, inverse, via USD) and money rounding."""

from decimal import Decimal as D

import pytest

from domain.conversion import convert, convert_money, rate, round_money
from domain.errors import NoConversionRate

RATES = {"EURUSD": D("1.25"), "USDJPY": D("160"), "GBPUSD": D("1.5"), "XAUUSD": D("2000")}


@pytest.mark.parametrize(
    ("from_ccy", "to_ccy", "rates", "expected"),
    [
        ("USD", "USD", {}, D("1")),
        ("EUR", "USD", RATES, D("1.25")),  # direct
        ("USD", "EUR", RATES, D("0.8")),  # inverse
        ("USD", "EUR", {"EURUSD": D("1.1")}, D("0.9090909090909090909090909091")),  # 28 digits
        ("JPY", "USD", {"USDJPY": D("150")}, D("0.006666666666666666666666666667")),
        ("JPY", "EUR", RATES, D("0.005")),  # (1 / USDJPY) x (1 / EURUSD)
        ("EUR", "JPY", RATES, D("200")),  # EURUSD x USDJPY
        ("GBP", "JPY", RATES, D("240")),  # GBPUSD x USDJPY
        ("GBP", "EUR", RATES, D("1.2")),  # GBPUSD x (1 / EURUSD)
        ("XAU", "EUR", RATES, D("1600")),  # XAUUSD x (1 / EURUSD)
        ("CHF", "JPY", {"USDCHF": D("0.8"), "USDJPY": D("150")}, D("187.5")),
        ("EUR", "JPY", {**RATES, "EURJPY": D("199")}, D("199")),  # direct beats the cross
    ],
)
def test_rate(from_ccy: str, to_ccy: str, rates: dict[str, D], expected: D) -> None:
    assert rate(from_ccy, to_ccy, rates) == expected


@pytest.mark.parametrize(
    ("from_ccy", "to_ccy", "rates"),
    [
        ("EUR", "JPY", {"EURUSD": D("1.1")}),
        ("EUR", "USD", {}),
        ("EUR", "USD", {"EURUSD": D("0")}),  # unusable rates are ignored
        ("EUR", "USD", {"EURUSD": D("NaN")}),
        ("AUD", "NZD", {"EURUSD": D("1.1"), "USDJPY": D("150")}),
    ],
)
def test_missing_rate_raises(from_ccy: str, to_ccy: str, rates: dict[str, D]) -> None:
    with pytest.raises(NoConversionRate) as raised:
        rate(from_ccy, to_ccy, rates)
    assert (raised.value.from_currency, raised.value.to_currency) == (from_ccy, to_ccy)


def test_convert_is_unrounded_and_same_currency_is_identity() -> None:
    assert convert(D("-50000"), "JPY", "USD", {"USDJPY": D("150")}) == D(
        "-333.3333333333333333333333334"
    )
    assert convert(D("1.23456"), "USD", "USD", {}) == D("1.23456")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (D("0.125"), "USD", D("0.12")),  # half-even: down to even
        (D("0.135"), "USD", D("0.14")),  # half-even: up to even
        (D("-0.125"), "EUR", D("-0.12")),
        (D("198.6666666"), "USD", D("198.67")),
        (D("2.5"), "JPY", D("2")),
        (D("3.5"), "JPY", D("4")),
        (D("100"), "GBP", D("100.00")),
    ],
)
def test_round_money(amount: D, currency: str, expected: D) -> None:
    result = round_money(amount, currency)
    assert result == expected
    assert result.as_tuple().exponent == expected.as_tuple().exponent


def test_convert_money_books_in_account_cents() -> None:
    assert convert_money(D("29799.99999"), "JPY", "USD", {"USDJPY": D("150")}) == D("198.67")
    assert convert_money(D("100"), "USD", "JPY", {"USDJPY": D("150.123")}) == D("15012")
