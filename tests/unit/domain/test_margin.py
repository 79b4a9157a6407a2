"""Margin requirement, account valuation and the pre-trade margin check (hand-computed)."""

from decimal import Decimal as D

import pytest

from domain.errors import InsufficientMargin, NoConversionRate, PriceStale
from domain.instruments import get_instrument
from domain.margin import (
    AccountValuation,
    OpenPosition,
    assert_order_allowed,
    check_order,
    effective_leverage,
    required_margin,
    value_account,
)
from domain.positions import PositionState, Side

USD_RATES = {"EURUSD": D("1.1"), "GBPUSD": D("1.25"), "USDJPY": D("150"), "XAUUSD": D("2000")}
EUR_RATES = {"EURUSD": D("1.25"), "USDJPY": D("160")}


@pytest.mark.parametrize(
    ("symbol", "account_leverage", "expected"),
    [("EURUSD", 1000, 500), ("EURUSD", 100, 100), ("EURGBP", 500, 200), ("XAUUSD", 500, 100)],
)
def test_effective_leverage(symbol: str, account_leverage: int, expected: int) -> None:
    assert effective_leverage(get_instrument(symbol), account_leverage) == expected


def test_effective_leverage_rejects_non_positive() -> None:
    with pytest.raises(ValueError, match="leverage"):
        effective_leverage(get_instrument("EURUSD"), 0)


@pytest.mark.parametrize(
    ("symbol", "lots", "leverage", "ccy", "rates", "expected"),
    [
        ("EURUSD", "1", 500, "USD", USD_RATES, D("220")),  # 200 EUR x 1.1
        ("USDJPY", "1", 500, "USD", USD_RATES, D("200")),  # base is the account currency
        ("EURGBP", "1", 500, "USD", USD_RATES, D("550")),  # capped at 200: 500 EUR x 1.1
        ("XAUUSD", "1", 500, "USD", USD_RATES, D("2000")),  # capped at 100: 1 oz x 2000
        ("XAUUSD", "0.5", 50, "USD", USD_RATES, D("2000")),  # 50 oz / 50 = 1 oz
        ("EURUSD", "1", 500, "EUR", EUR_RATES, D("200")),
        ("USDJPY", "1", 500, "EUR", EUR_RATES, D("160")),  # 200 USD / 1.25
        ("USDJPY", "0", 500, "EUR", EUR_RATES, D("0")),
        ("EURUSD", "0.1", 30, "EUR", EUR_RATES, D("333.3333333333333333333333333")),
    ],
)
def test_required_margin(
    symbol: str, lots: str, leverage: int, ccy: str, rates: dict[str, D], expected: D
) -> None:
    assert required_margin(get_instrument(symbol), D(lots), leverage, ccy, rates) == expected


def test_required_margin_needs_a_rate() -> None:
    with pytest.raises(NoConversionRate):
        required_margin(get_instrument("EURGBP"), D("1"), 500, "USD", {"GBPUSD": D("1.25")})


def open_position(symbol: str, signed_lots: str, avg_price: str) -> OpenPosition:
    return OpenPosition(get_instrument(symbol), PositionState(symbol, D(signed_lots), D(avg_price)))


def test_value_usd_account() -> None:
    positions = [
        open_position("EURUSD", "1", "1.10000"),  # at bid 1.10100: +100 USD; margin 1000 EUR
        open_position("USDJPY", "-1", "150.000"),  # at ask 150.500: -50000 JPY; margin 1000 USD
        open_position("XAUUSD", "0.1", "2000.00"),  # at bid 1990.00: -100 USD; margin 0.1 oz
        open_position("GBPUSD", "0", "0"),  # flat: ignored, needs no quote
    ]
    quotes = {
        "EURUSD": (D("1.10100"), D("1.10110")),
        "USDJPY": (D("150.490"), D("150.500")),
        "XAUUSD": (D("1990.00"), D("1990.50")),
    }
    valuation = value_account(D("10000"), "USD", 100, positions, quotes, USD_RATES)
    assert valuation == AccountValuation(
        balance=D("10000"),
        unrealized_pnl=D("-333.33"),  # 100 - 333.33... - 100
        equity=D("9666.67"),
        used_margin=D("2300.00"),  # 1100 + 1000 + 200
        free_margin=D("7366.67"),
        margin_level=D("420.29"),  # 9666.67 / 2300 x 100
        currency="USD",
    )


def test_value_eur_account() -> None:
    positions = [
        open_position("EURUSD", "-2", "1.25000"),  # at ask 1.24010: +1980 USD = 1584 EUR
        open_position("USDJPY", "1", "160.000"),  # at bid 159.000: -100000 JPY = -500 EUR
    ]
    quotes = {"EURUSD": (D("1.24000"), D("1.24010")), "USDJPY": (D("159.000"), D("159.010"))}
    valuation = value_account(D("5000"), "EUR", 500, positions, quotes, EUR_RATES)
    assert valuation.unrealized_pnl == D("1084.00")
    assert valuation.used_margin == D("560.00")  # 400 EUR + 200 USD / 1.25
    assert (valuation.equity, valuation.free_margin) == (D("6084.00"), D("5524.00"))
    assert valuation.margin_level == D("1086.43")  # 6084 / 560 x 100 = 1086.428...


def test_value_account_without_positions_has_no_margin_level() -> None:
    valuation = value_account(D("250.00"), "USD", 100, [], {}, {})
    assert (valuation.equity, valuation.used_margin, valuation.free_margin) == (
        D(250),
        D(0),
        D(250),
    )
    assert valuation.margin_level is None


def test_value_account_needs_a_quote_per_open_position() -> None:
    with pytest.raises(PriceStale) as raised:
        value_account(D("1"), "USD", 100, [open_position("EURUSD", "1", "1.1")], {}, USD_RATES)
    assert (raised.value.symbol, raised.value.age_seconds) == ("EURUSD", None)


def empty_valuation(balance: str, currency: str) -> AccountValuation:
    return value_account(D(balance), currency, 100, [], {}, {})


# balance, ccy, leverage, symbol, side, lots, price, rates, required, used, free, allowed
OPENING_CASES = [
    ("1000", "USD", 100, "EURUSD", "BUY", "0.5", "1.10000", USD_RATES, "550.00", "550.00",
     "450.00", True),
    ("1000", "USD", 100, "EURUSD", "BUY", "1", "1.10000", USD_RATES, "1100.00", "1100.00",
     "-100.00", False),
    ("1000", "USD", 500, "USDJPY", "BUY", "5", "150.000", USD_RATES, "1000.00", "1000.00",
     "0.00", True),  # free margin exactly 0 is enough
    ("1000", "USD", 500, "USDJPY", "SELL", "5.01", "150.000", USD_RATES, "1002.00", "1002.00",
     "-2.00", False),
    ("1000", "USD", 500, "EURGBP", "SELL", "1", "0.85000", USD_RATES, "550.00", "550.00",
     "450.00", True),
    ("1000", "USD", 500, "XAUUSD", "BUY", "0.05", "2000.00", USD_RATES, "100.00", "100.00",
     "900.00", True),
    ("1000", "EUR", 500, "USDJPY", "BUY", "5", "160.000", EUR_RATES, "800.00", "800.00",
     "200.00", True),
    ("1000", "EUR", 500, "EURUSD", "BUY", "5", "1.25000", EUR_RATES, "1000.00", "1000.00",
     "0.00", True),
    ("1000", "EUR", 500, "EURUSD", "SELL", "5.01", "1.25000", EUR_RATES, "1002.00", "1002.00",
     "-2.00", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("balance", "ccy", "leverage", "symbol", "side", "lots", "price", "rates", "required",
     "used", "free", "allowed"),
    OPENING_CASES,
)  # fmt: skip
def test_check_opening_order(
    balance: str, ccy: str, leverage: int, symbol: str, side: str, lots: str, price: str,
    rates: dict[str, D], required: str, used: str, free: str, allowed: bool,
) -> None:  # fmt: skip
    valuation = value_account(D(balance), ccy, leverage, [], {}, rates)
    check = check_order(
        valuation, get_instrument(symbol), None, Side(side), D(lots), D(price), leverage, ccy,
        rates,
    )  # fmt: skip
    assert (check.required_margin, check.used_margin_after, check.free_margin_after) == (
        D(required), D(used), D(free),
    )  # fmt: skip
    assert (check.allowed, check.reducing, check.currency) == (allowed, False, ccy)


# An account under water: long 1 EURUSD @ 1.1 (margin 1100 USD at 1:100), balance 500, bid
# 1.09500 -> unrealised -500, equity 0, free margin -1100.
UNDER_WATER_QUOTES = {"EURUSD": (D("1.09500"), D("1.09510"))}
LONG = PositionState("EURUSD", D("1"), D("1.10000"))


@pytest.mark.parametrize(
    ("side", "lots", "required", "used", "free", "allowed", "reducing"),
    [
        ("SELL", "0.5", "550.00", "550.00", "-550.00", True, True),  # partial close
        ("SELL", "1", "0.00", "0.00", "0.00", True, True),  # full close
        ("SELL", "2", "1100.00", "1100.00", "-1100.00", False, False),  # flip is not reducing
        ("BUY", "0.01", "1111.00", "1111.00", "-1111.00", False, False),
    ],
)
def test_check_order_on_existing_position(
    side: str, lots: str, required: str, used: str, free: str, allowed: bool, reducing: bool
) -> None:
    eurusd = get_instrument("EURUSD")
    valuation = value_account(
        D("500"), "USD", 100, [OpenPosition(eurusd, LONG)], UNDER_WATER_QUOTES, USD_RATES
    )
    assert (valuation.equity, valuation.free_margin) == (D("0.00"), D("-1100.00"))
    check = check_order(
        valuation, eurusd, LONG, Side(side), D(lots), D("1.09500"), 100, "USD", USD_RATES
    )
    assert (check.required_margin, check.used_margin_after, check.free_margin_after) == (
        D(required),
        D(used),
        D(free),
    )
    assert (check.allowed, check.reducing) == (allowed, reducing)


def test_flip_is_allowed_with_enough_margin() -> None:
    eurusd = get_instrument("EURUSD")
    valuation = value_account(
        D("5000"), "USD", 100, [OpenPosition(eurusd, LONG)], UNDER_WATER_QUOTES, USD_RATES
    )
    check = check_order(
        valuation, eurusd, LONG, Side.SELL, D("3"), D("1.095"), 100, "USD", USD_RATES
    )
    # short 2 after the flip: 2200 used; equity 4500 -> free 2300
    assert (check.used_margin_after, check.free_margin_after) == (D("2200.00"), D("2300.00"))
    assert check.allowed and not check.reducing


def test_assert_order_allowed() -> None:
    valuation = empty_valuation("1000", "USD")
    eurusd = get_instrument("EURUSD")
    fits = check_order(valuation, eurusd, None, Side.BUY, D("0.5"), D("1.1"), 100, "USD", USD_RATES)
    assert_order_allowed(fits)
    too_big = check_order(
        valuation, eurusd, None, Side.BUY, D("1"), D("1.1"), 100, "USD", USD_RATES
    )
    with pytest.raises(InsufficientMargin) as raised:
        assert_order_allowed(too_big)
    # required: margin of the position after the trade; free: margin available to it.
    error = raised.value
    assert (error.required, error.free, error.currency) == (D("1100.00"), D("1000.00"), "USD")


def test_check_order_refuses_mismatched_currency() -> None:
    with pytest.raises(ValueError, match="EUR"):
        check_order(
            empty_valuation("1000", "EUR"), get_instrument("EURUSD"), None, Side.BUY, D("1"),
            D("1.1"), 100, "USD", USD_RATES,
        )  # fmt: skip
