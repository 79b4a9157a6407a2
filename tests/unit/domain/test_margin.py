"""Margin requirement, account valuation and the pre-trade margin check (hand-computed)."""

from decimal import Decimal as D

import pytest

from domain.errors import InsufficientMargin, NoConversionRate, PriceStale
from domain.instruments import get_instrument
from domain.margin import (
    AccountValuation,
    OpenPosition,
    OrderAtPrice,
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


# The pre-trade check values the account right after the fill at the closing side: a BUY fills
# at the ask and is valued at the bid, so the spread is paid out of equity at once; the order
# must leave the account strictly above the margin-call level (100%).
# balance, ccy, leverage, symbol, side, lots, bid, ask, rates, required, used, equity, free, ok
OPENING_CASES = [
    # 500 EUR x 1.1 = 550; spread (1.09990 - 1.10000) x 50,000 = -5; 995 / 550 = 180.9%
    ("1000", "USD", 100, "EURUSD", "BUY", "0.5", "1.09990", "1.10000", USD_RATES, "550.00",
     "550.00", "995.00", "445.00", True),
    # 990 margin, -9 spread: 991 / 990 = 100.1% > 100%
    ("1000", "USD", 100, "EURUSD", "BUY", "0.9", "1.09990", "1.10000", USD_RATES, "990.00",
     "990.00", "991.00", "1.00", True),
    # 1001 margin, -9.10 spread: 990.90 / 1001 = 98.99%
    ("1000", "USD", 100, "EURUSD", "BUY", "0.91", "1.09990", "1.10000", USD_RATES, "1001.00",
     "1001.00", "990.90", "-10.10", False),
    # no spread, exactly 100% after the order: that is a margin call, refused
    ("1000", "USD", 500, "USDJPY", "BUY", "5", "150.000", "150.000", USD_RATES, "1000.00",
     "1000.00", "1000.00", "0.00", False),
    ("1000", "USD", 500, "USDJPY", "BUY", "4.99", "150.000", "150.000", USD_RATES, "998.00",
     "998.00", "1000.00", "2.00", True),
    # capped at 200: 500 EUR x 1.1; short valued at the ask: -10 GBP x 1.25 = -12.50 USD
    ("1000", "USD", 500, "EURGBP", "SELL", "1", "0.85000", "0.85010", USD_RATES, "550.00",
     "550.00", "987.50", "437.50", True),
    # capped at 100: 5 oz x 2000 / 100; spread -0.50 x 5 oz = -2.50
    ("1000", "USD", 500, "XAUUSD", "BUY", "0.05", "1999.50", "2000.00", USD_RATES, "100.00",
     "100.00", "997.50", "897.50", True),
    # 1000 USD / 1.25 = 800 EUR
    ("1000", "EUR", 500, "USDJPY", "BUY", "5", "160.000", "160.000", EUR_RATES, "800.00",
     "800.00", "1000.00", "200.00", True),
    ("1000", "EUR", 500, "EURUSD", "BUY", "5", "1.25000", "1.25000", EUR_RATES, "1000.00",
     "1000.00", "1000.00", "0.00", False),
    ("1000", "EUR", 500, "EURUSD", "SELL", "4.9", "1.25000", "1.25000", EUR_RATES, "980.00",
     "980.00", "1000.00", "20.00", True),
]  # fmt: skip
LEVEL = D(100)


def at(side: str, lots: str, price: str, bid: str, ask: str) -> OrderAtPrice:
    return OrderAtPrice(Side(side), D(lots), D(price), D(bid), D(ask))


@pytest.mark.parametrize(
    ("balance", "ccy", "leverage", "symbol", "side", "lots", "bid", "ask", "rates", "required",
     "used", "equity", "free", "allowed"),
    OPENING_CASES,
)  # fmt: skip
def test_check_opening_order(
    balance: str, ccy: str, leverage: int, symbol: str, side: str, lots: str, bid: str, ask: str,
    rates: dict[str, D], required: str, used: str, equity: str, free: str, allowed: bool,
) -> None:  # fmt: skip
    valuation = value_account(D(balance), ccy, leverage, [], {}, rates)
    price = ask if side == "BUY" else bid
    check = check_order(
        valuation, get_instrument(symbol), None, at(side, lots, price, bid, ask), leverage, rates,
        LEVEL,
    )  # fmt: skip
    assert (check.required_margin, check.used_margin_after) == (D(required), D(used))
    assert (check.equity_after, check.free_margin_after) == (D(equity), D(free))
    assert (check.allowed, check.reducing, check.currency) == (allowed, False, ccy)


# An account under water: long 1 EURUSD @ 1.1 (margin 1100 USD at 1:100), balance 500, bid
# 1.09500 -> unrealised -500, equity 0, free margin -1100.
UNDER_WATER_QUOTES = {"EURUSD": (D("1.09500"), D("1.09510"))}
LONG = PositionState("EURUSD", D("1"), D("1.10000"))


@pytest.mark.parametrize(
    ("side", "lots", "price", "required", "used", "free", "allowed", "reducing"),
    [
        ("SELL", "0.5", "1.09500", "550.00", "550.00", "-550.00", True, True),  # partial close
        ("SELL", "1", "1.09500", "0.00", "0.00", "0.00", True, True),  # full close
        # a flip is not reducing: short 1 at 1.09500 valued at the ask 1.09510: -10
        ("SELL", "2", "1.09500", "1100.00", "1100.00", "-1110.00", False, False),
        # adding 0.01 at the ask 1.09510, valued at the bid: -0.10
        ("BUY", "0.01", "1.09510", "1111.00", "1111.00", "-1111.10", False, False),
    ],
)
def test_check_order_on_existing_position(
    side: str, lots: str, price: str, required: str, used: str, free: str, allowed: bool,
    reducing: bool,
) -> None:  # fmt: skip
    eurusd = get_instrument("EURUSD")
    valuation = value_account(
        D("500"), "USD", 100, [OpenPosition(eurusd, LONG)], UNDER_WATER_QUOTES, USD_RATES
    )
    assert (valuation.equity, valuation.free_margin) == (D("0.00"), D("-1100.00"))
    check = check_order(
        valuation, eurusd, LONG, at(side, lots, price, "1.09500", "1.09510"), 100, USD_RATES,
        LEVEL,
    )  # fmt: skip
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
        valuation, eurusd, LONG, at("SELL", "3", "1.09500", "1.09500", "1.09510"), 100,
        USD_RATES, LEVEL,
    )  # fmt: skip
    # short 2 after the flip: 2200 used; equity 4500 - 500 realised + 500 no longer unrealised
    # - 20 (the new short valued at the ask) = 4480 -> free 2280
    assert (check.used_margin_after, check.free_margin_after) == (D("2200.00"), D("2280.00"))
    assert check.allowed and not check.reducing


def test_assert_order_allowed() -> None:
    valuation = empty_valuation("1000", "USD")
    eurusd = get_instrument("EURUSD")
    quote = ("1.09990", "1.10000")
    fits = check_order(valuation, eurusd, None, at("BUY", "0.5", "1.1", *quote), 100, USD_RATES,
                       LEVEL)  # fmt: skip
    assert_order_allowed(fits)
    too_big = check_order(
        valuation, eurusd, None, at("BUY", "1", "1.1", *quote), 100, USD_RATES, LEVEL
    )
    with pytest.raises(InsufficientMargin) as raised:
        assert_order_allowed(too_big)
    # required: margin of the position after the trade; free: margin available to it (equity
    # 990 after the 10 USD spread); the level it would be at: 990 / 1100 = 90.00%.
    error = raised.value
    assert (error.required, error.free, error.currency) == (D("1100.00"), D("990.00"), "USD")
    assert (error.level_after, error.min_level) == (D("90.00"), LEVEL)
