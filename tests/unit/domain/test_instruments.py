"""Symbol catalogue, lots validation and trading sessions."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from domain.errors import InvalidLots, UnknownSymbol
from domain.instruments import (
    INSTRUMENTS,
    AssetClass,
    by_vendor_code,
    get_instrument,
)

SYMBOLS = [
    *("EURUSD", "GBPUSD", "USDJPY", "USDCHF", "AUDUSD", "USDCAD", "NZDUSD"),
    *("EURGBP", "EURJPY", "GBPJPY", "EURCHF", "AUDJPY", "EURAUD", "EURCAD"),
    *("GBPCHF", "CADJPY", "CHFJPY", "NZDJPY", "AUDNZD", "GBPAUD"),
    *("XAUUSD", "XAGUSD"),
]


def test_catalogue_holds_the_expected_symbols() -> None:
    assert sorted(INSTRUMENTS) == sorted(SYMBOLS)
    assert all(symbol == i.symbol for symbol, i in INSTRUMENTS.items())
    vendor_codes = [i.vendor_code for i in INSTRUMENTS.values()]
    assert len(set(vendor_codes)) == len(vendor_codes)


@pytest.mark.parametrize(
    ("symbol", "vendor", "asset", "base", "quote", "digits", "pip", "point", "contract", "lev",
     "markup", "stale"),
    [
        ("EURUSD", "EURUSD", AssetClass.FX, "EUR", "USD", 5, "0.0001", "0.00001", 100000, 500,
         10, 10),
        ("USDJPY", "USDJPY", AssetClass.FX, "USD", "JPY", 3, "0.01", "0.001", 100000, 500, 10, 10),
        ("EURGBP", "EURGBP", AssetClass.FX, "EUR", "GBP", 5, "0.0001", "0.00001", 100000, 200,
         20, 10),
        ("CHFJPY", "CHFJPY", AssetClass.FX, "CHF", "JPY", 3, "0.01", "0.001", 100000, 200, 20, 10),
        ("XAUUSD", "GOLD", AssetClass.METAL, "XAU", "USD", 2, "0.1", "0.01", 100, 100, 30, 15),
        ("XAGUSD", "Silver", AssetClass.METAL, "XAG", "USD", 3, "0.01", "0.001", 5000, 100, 30,
         15),
    ],
)  # fmt: skip
def test_instrument_terms(
    symbol: str, vendor: str, asset: AssetClass, base: str, quote: str, digits: int, pip: str,
    point: str, contract: int, lev: int, markup: int, stale: int,
) -> None:  # fmt: skip
    i = get_instrument(symbol)
    assert (i.vendor_code, i.asset_class, i.base_currency, i.quote_currency) == (
        vendor, asset, base, quote,
    )  # fmt: skip
    assert (i.digits, i.pip_size, i.point, i.contract_size) == (
        digits,
        D(pip),
        D(point),
        D(contract),
    )
    assert (i.max_leverage, i.markup_points, i.staleness_seconds) == (lev, markup, stale)
    assert (i.min_lots, i.max_lots, i.lot_step) == (D("0.01"), D("50"), D("0.01"))


def test_lookups() -> None:
    assert by_vendor_code("GOLD").symbol == "XAUUSD"
    assert by_vendor_code("Silver").symbol == "XAGUSD"
    assert by_vendor_code("EURUSD").symbol == "EURUSD"
    for bad in ("eurusd", "EURXXX", ""):
        with pytest.raises(UnknownSymbol) as raised:
            get_instrument(bad)
        assert raised.value.symbol == bad
    with pytest.raises(UnknownSymbol):
        by_vendor_code("XAUUSD")  # our symbol, not the vendor's code
    with pytest.raises(UnknownSymbol):
        by_vendor_code("gold")


EURUSD = get_instrument("EURUSD")


@pytest.mark.parametrize("lots", ["0.01", "0.1", "0.10", "0.100", "1", "12.34", "50", "5E+1"])
def test_valid_lots(lots: str) -> None:
    EURUSD.validate_lots(D(lots))


@pytest.mark.parametrize(
    ("lots", "reason"),
    [
        ("0", "must be positive"),
        ("-1", "must be positive"),
        ("-0.01", "must be positive"),
        ("NaN", "must be a finite number"),
        ("sNaN", "must be a finite number"),
        ("Infinity", "must be a finite number"),
        ("-Infinity", "must be a finite number"),
        ("0.009", "below the minimum of 0.01"),
        ("50.01", "above the maximum of 50"),
        ("1E+3", "above the maximum of 50"),
        ("0.015", "more than 2 decimal places"),
        ("1.0000001", "more than 2 decimal places"),
    ],
)
def test_invalid_lots(lots: str, reason: str) -> None:
    with pytest.raises(InvalidLots) as raised:
        EURUSD.validate_lots(D(lots))
    assert raised.value.reason == reason
    assert str(raised.value.lots) == str(D(lots))


def test_off_step_lots() -> None:
    coarse = replace(EURUSD, min_lots=D("0.05"), lot_step=D("0.05"))
    coarse.validate_lots(D("0.15"))
    with pytest.raises(InvalidLots) as raised:
        coarse.validate_lots(D("0.07"))
    assert raised.value.reason == "not a multiple of 0.05"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (UTC instant, FX open, metals open); New York local time in the comment.
SESSION_CASES = [
    # Summer (EDT, UTC-4): the week closes Friday 21:00 UTC and opens Sunday 21:00 UTC.
    ("2024-07-05 20:59:59", True, True),  # Fri 16:59:59
    ("2024-07-05 21:00:00", False, False),  # Fri 17:00 close
    ("2024-07-06 12:00:00", False, False),  # Saturday
    ("2024-07-07 20:59:59", False, False),  # Sun 16:59:59
    ("2024-07-07 21:00:00", True, False),  # Sun 17:00: FX opens, metals are in the daily pause
    ("2024-07-07 22:00:00", True, True),  # Sun 18:00: metals open
    ("2024-07-03 20:59:00", True, True),  # Wed 16:59
    ("2024-07-03 21:30:00", True, False),  # Wed 17:30: metals' daily pause
    ("2024-07-03 22:00:00", True, True),  # Wed 18:00
    # Winter (EST, UTC-5): close Friday 22:00 UTC, open Sunday 22:00 UTC.
    ("2024-01-12 21:59:59", True, True),  # Fri 16:59:59
    ("2024-01-12 22:00:00", False, False),  # Fri 17:00
    ("2024-01-14 21:59:59", False, False),  # Sun 16:59:59
    ("2024-01-14 22:00:00", True, False),  # Sun 17:00
    ("2024-01-14 22:30:00", True, False),  # Sun 17:30
    ("2024-01-14 23:00:00", True, True),  # Sun 18:00
    ("2024-01-10 21:30:00", True, True),  # Wed 16:30 (would be the pause under summer time)
    ("2024-01-10 22:30:00", True, False),  # Wed 17:30
    ("2024-01-10 23:00:00", True, True),  # Wed 18:00
    # The Sundays the clocks change: the week opens at 17:00 local time in the new offset.
    ("2024-03-10 20:59:59", False, False),  # DST starts at 02:00; Sun 16:59:59 EDT
    ("2024-03-10 21:00:00", True, False),  # Sun 17:00 EDT
    ("2024-11-03 21:30:00", False, False),  # DST ends at 02:00; Sun 16:30 EST
    ("2024-11-03 22:00:00", True, False),  # Sun 17:00 EST
]


@pytest.mark.parametrize(("instant", "fx_open", "metals_open"), SESSION_CASES)
def test_sessions(instant: str, fx_open: bool, metals_open: bool) -> None:
    at = utc(instant)
    assert get_instrument("EURUSD").session.is_open(at) is fx_open
    assert get_instrument("USDJPY").session.is_open(at) is fx_open
    assert get_instrument("XAUUSD").session.is_open(at) is metals_open
    assert get_instrument("XAGUSD").session.is_open(at) is metals_open


def test_session_accepts_any_aware_zone_and_refuses_naive() -> None:
    tokyo = timezone(timedelta(hours=9))
    at = datetime(2024, 7, 6, 6, 0, tzinfo=tokyo)  # Fri 21:00 UTC = Fri 17:00 New York
    assert not EURUSD.session.is_open(at)
    assert EURUSD.session.is_open(at - timedelta(seconds=1))
    with pytest.raises(ValueError, match="aware"):
        EURUSD.session.is_open(datetime(2024, 7, 3, 12, 0))
