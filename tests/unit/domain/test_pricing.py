"""Markup rounding, tradeability (sessions, staleness), fill prices and price bounds."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from domain.errors import DomainError, MarketClosed, PriceBoundExceeded, PriceStale
from domain.instruments import get_instrument
from domain.positions import Side
from domain.pricing import (
    check_price_bound,
    check_tradeable,
    client_prices,
    fill_price,
    quote_age_seconds,
    untradeable_reason,
)

EURUSD = get_instrument("EURUSD")
XAUUSD = get_instrument("XAUUSD")


@pytest.mark.parametrize(
    ("symbol", "raw_bid", "raw_ask", "bid", "ask"),
    [
        ("EURUSD", "1.10000", "1.10010", "1.09995", "1.10015"),  # 10 points: 5 a side
        ("EURUSD", "1.100004", "1.100106", "1.09995", "1.10016"),  # finer raw: rounded outward
        ("EURGBP", "0.85000", "0.85005", "0.84990", "0.85015"),  # 20 points: 10 a side
        ("USDJPY", "150.000", "150.010", "149.995", "150.015"),
        ("XAUUSD", "2000.00", "2000.30", "1999.85", "2000.45"),  # 30 points of 0.01
        ("XAGUSD", "25.000", "25.020", "24.985", "25.035"),  # 30 points of 0.001
    ],
)
def test_client_prices(symbol: str, raw_bid: str, raw_ask: str, bid: str, ask: str) -> None:
    result = client_prices(get_instrument(symbol), D(raw_bid), D(raw_ask))
    assert result == (D(bid), D(ask))
    assert all(p.as_tuple().exponent == -get_instrument(symbol).digits for p in result)


def test_odd_markup_rounds_both_sides_against_the_client() -> None:
    odd = replace(EURUSD, markup_points=3)  # 1.5 points a side
    assert client_prices(odd, D("1.10000"), D("1.10010")) == (D("1.09998"), D("1.10012"))


def test_zero_markup_leaves_a_quote_on_the_grid_unchanged() -> None:
    none = replace(EURUSD, markup_points=0)
    assert client_prices(none, D("1.10000"), D("1.10010")) == (D("1.10000"), D("1.10010"))


WEDNESDAY = datetime(2024, 7, 3, 12, 0, tzinfo=UTC)
SATURDAY = datetime(2024, 7, 6, 12, 0, tzinfo=UTC)
METALS_PAUSE = datetime(2024, 7, 3, 21, 30, tzinfo=UTC)  # 17:30 New York


@pytest.mark.parametrize(
    ("symbol", "now", "age", "enforce", "expected"),
    [
        ("EURUSD", WEDNESDAY, timedelta(seconds=0), True, None),
        ("EURUSD", WEDNESDAY, timedelta(seconds=10), True, None),  # at the limit: fresh
        ("EURUSD", WEDNESDAY, timedelta(seconds=10, microseconds=1), True, PriceStale),
        ("EURUSD", WEDNESDAY, timedelta(seconds=-3), True, None),  # quote ahead of our clock
        ("EURUSD", WEDNESDAY, None, True, PriceStale),
        ("XAUUSD", WEDNESDAY, timedelta(seconds=14), True, None),
        ("XAUUSD", WEDNESDAY, timedelta(seconds=16), True, PriceStale),
        ("EURUSD", SATURDAY, timedelta(seconds=1), True, MarketClosed),
        ("EURUSD", SATURDAY, None, True, MarketClosed),  # closed wins over stale
        ("EURUSD", SATURDAY, timedelta(seconds=1), False, None),
        ("EURUSD", SATURDAY, timedelta(seconds=11), False, PriceStale),
        ("XAUUSD", METALS_PAUSE, timedelta(seconds=1), True, MarketClosed),
        ("EURUSD", METALS_PAUSE, timedelta(seconds=1), True, None),
    ],
)
def test_untradeable_reason(
    symbol: str,
    now: datetime,
    age: timedelta | None,
    enforce: bool,
    expected: type[DomainError] | None,
) -> None:
    quote_ts = None if age is None else now - age
    reason = untradeable_reason(get_instrument(symbol), quote_ts, now, enforce)
    if expected is None:
        assert reason is None
        check_tradeable(get_instrument(symbol), quote_ts, now, enforce)
    else:
        with pytest.raises(expected):
            check_tradeable(get_instrument(symbol), quote_ts, now, enforce)
        assert type(reason) is expected


def test_stale_error_carries_age_and_limit() -> None:
    quote_ts = WEDNESDAY - timedelta(seconds=12, microseconds=500_000)
    reason = untradeable_reason(EURUSD, quote_ts, WEDNESDAY, True)
    assert isinstance(reason, PriceStale)
    assert (reason.symbol, reason.age_seconds, reason.limit_seconds) == ("EURUSD", D("12.5"), 10)
    missing = untradeable_reason(XAUUSD, None, WEDNESDAY, True)
    assert isinstance(missing, PriceStale)
    assert (missing.age_seconds, missing.limit_seconds) == (None, 15)


def test_quote_age_is_exact() -> None:
    assert quote_age_seconds(WEDNESDAY - timedelta(microseconds=1), WEDNESDAY) == D("0.000001")
    assert quote_age_seconds(WEDNESDAY - timedelta(days=1), WEDNESDAY) == D(86400)
    assert quote_age_seconds(WEDNESDAY + timedelta(seconds=1.5), WEDNESDAY) == D("-1.5")


def test_fill_price() -> None:
    assert fill_price(Side.BUY, D("1.09995"), D("1.10015")) == D("1.10015")
    assert fill_price(Side.SELL, D("1.09995"), D("1.10015")) == D("1.09995")


@pytest.mark.parametrize(
    ("side", "price", "bound", "refused"),
    [
        (Side.BUY, "1.10015", None, False),
        (Side.BUY, "1.10015", "1.10015", False),  # the bound itself is acceptable
        (Side.BUY, "1.10015", "1.10020", False),
        (Side.BUY, "1.10015", "1.10014", True),
        (Side.SELL, "1.09995", None, False),
        (Side.SELL, "1.09995", "1.09995", False),
        (Side.SELL, "1.09995", "1.09990", False),
        (Side.SELL, "1.09995", "1.09996", True),
    ],
)
def test_price_bound(side: Side, price: str, bound: str | None, refused: bool) -> None:
    limit = None if bound is None else D(bound)
    if not refused:
        check_price_bound(side, D(price), limit)
        return
    with pytest.raises(PriceBoundExceeded) as raised:
        check_price_bound(side, D(price), limit)
    assert (raised.value.side, raised.value.bound, raised.value.price) == (
        side.value,
        limit,
        D(price),
    )
