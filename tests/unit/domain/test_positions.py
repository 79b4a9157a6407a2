"""Netting: tables of fill sequences with hand-computed results, plus hypothesis properties."""

from decimal import Decimal as D
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.conversion import convert_money, round_money
from domain.errors import InvalidLots, PositionNotFound
from domain.positions import (
    PositionState,
    Side,
    apply_fill,
    close_fill_side,
    flat,
    unrealized_pnl,
)

FX = D(100_000)
GOLD = D(100)
USD_RATES = {"EURUSD": D("1.1"), "GBPUSD": D("1.25"), "USDJPY": D("150"), "XAUUSD": D("2000")}
EUR_RATES = {"EURUSD": D("1.1"), "USDJPY": D("150")}


def run(symbol: str, contract: D, fills: list[tuple[str, str, str]]) -> tuple[PositionState, D]:
    position: PositionState | None = None
    realized = D(0)
    for side, lots, price in fills:
        outcome = apply_fill(position, symbol, Side(side), D(lots), D(price), contract)
        position, realized = outcome.position, realized + outcome.realized_pnl
    assert position is not None
    return position, realized


# (symbol, contract, fills, signed_lots, avg_price, realized in quote ccy, account ccy, booked)
CASES = [
    pytest.param(
        "EURUSD", FX, [("BUY", "1", "1.10000"), ("BUY", "1", "1.10100")],
        D("2"), D("1.1005"), D("0"), "USD", D("0.00"), id="eurusd-same-side-average",
    ),
    pytest.param(
        "USDJPY", FX, [("BUY", "1", "150.000"), ("BUY", "2", "150.001")],
        D("3"), D("150.0006666667"), D("0"), "USD", D("0.00"), id="usdjpy-average-10dp",
    ),
    pytest.param(
        "USDJPY", FX,
        [("BUY", "1", "150.000"), ("BUY", "2", "150.001"), ("SELL", "3", "150.100")],
        D("0"), D("0"), D("29799.99999"), "USD", D("198.67"), id="usdjpy-average-then-close",
    ),
    pytest.param(
        "EURGBP", FX, [("SELL", "2", "0.85000"), ("BUY", "0.5", "0.84800")],
        D("-1.5"), D("0.85"), D("100"), "USD", D("125.00"), id="eurgbp-partial-reduce",
    ),
    pytest.param(
        "EURGBP", FX, [("BUY", "1", "0.85000"), ("SELL", "1", "0.84123")],
        D("0"), D("0"), D("-877"), "USD", D("-1096.25"), id="eurgbp-full-close-loss",
    ),
    pytest.param(
        "XAUUSD", GOLD, [("BUY", "1", "2000.00"), ("SELL", "3", "2010.50")],
        D("-2"), D("2010.50"), D("1050"), "USD", D("1050.00"), id="xauusd-flip",
    ),
    pytest.param(
        "XAUUSD", GOLD,
        [("BUY", "0.5", "2000.00"), ("BUY", "0.5", "2001.00"), ("SELL", "1", "1990.25")],
        D("0"), D("0"), D("-1025"), "USD", D("-1025.00"), id="xauusd-average-then-close",
    ),
    pytest.param(
        "XAUUSD", GOLD, [("SELL", "0.3", "2000.00"), ("BUY", "0.1", "2003.33")],
        D("-0.2"), D("2000"), D("-33.3"), "USD", D("-33.30"), id="xauusd-partial-close",
    ),
    pytest.param(
        "EURUSD", FX,
        [("SELL", "1", "1.10000"), ("SELL", "3", "1.10200"), ("BUY", "1", "1.10050"),
         ("BUY", "3", "1.10300")],
        D("0"), D("0"), D("-350"), "EUR", D("-318.18"), id="eurusd-eur-account-short-closes",
    ),
    pytest.param(
        "EURUSD", FX, [("BUY", "2", "1.10000"), ("SELL", "0.5", "1.10110")],
        D("1.5"), D("1.1"), D("55"), "EUR", D("50.00"), id="eurusd-eur-account-partial",
    ),
    pytest.param(
        "USDJPY", FX, [("BUY", "1", "150.000"), ("SELL", "1", "151.650")],
        D("0"), D("0"), D("165000"), "EUR", D("1000.00"), id="usdjpy-eur-account-via-usd",
    ),
    pytest.param(
        "USDJPY", FX, [("SELL", "1", "150.000"), ("BUY", "1.5", "149.000")],
        D("0.5"), D("149"), D("100000"), "EUR", D("606.06"), id="usdjpy-eur-account-flip",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("symbol", "contract", "fills", "signed_lots", "avg_price", "realized", "ccy", "booked"), CASES
)
def test_fill_sequences(
    symbol: str,
    contract: D,
    fills: list[tuple[str, str, str]],
    signed_lots: D,
    avg_price: D,
    realized: D,
    ccy: str,
    booked: D,
) -> None:
    position, total = run(symbol, contract, fills)
    assert position.signed_lots == signed_lots
    assert position.avg_price == avg_price
    assert total == realized
    rates = USD_RATES if ccy == "USD" else EUR_RATES
    assert convert_money(total, symbol[3:], ccy, rates) == booked


def test_flip_outcome_reports_closed_and_opened_lots() -> None:
    long = PositionState("XAUUSD", D("1"), D("2000.00"))
    outcome = apply_fill(long, "XAUUSD", Side.SELL, D("3"), D("2010.50"), GOLD)
    assert (outcome.closed_lots, outcome.opened_lots) == (D("1"), D("2"))
    assert outcome.reduced and outcome.flipped
    assert outcome.position.side is Side.SELL


def test_partial_reduce_outcome() -> None:
    short = PositionState("EURGBP", D("-2"), D("0.85"))
    outcome = apply_fill(short, "EURGBP", Side.BUY, D("0.5"), D("0.848"), FX)
    assert (outcome.closed_lots, outcome.opened_lots) == (D("0.5"), D("0"))
    assert outcome.reduced and not outcome.flipped


def test_increase_outcome() -> None:
    outcome = apply_fill(None, "EURUSD", Side.BUY, D("1"), D("1.1"), FX)
    assert (outcome.closed_lots, outcome.opened_lots, outcome.realized_pnl) == (D(0), D(1), D(0))
    assert not outcome.reduced and not outcome.flipped
    assert outcome.position == PositionState("EURUSD", D("1"), D("1.1"))


def test_full_close_is_flat() -> None:
    long = PositionState("EURUSD", D("1"), D("1.1"))
    outcome = apply_fill(long, "EURUSD", Side.SELL, D("1"), D("1.2"), FX)
    assert outcome.position == flat("EURUSD")
    assert outcome.position.side is None and outcome.position.lots == 0
    assert outcome.reduced and not outcome.flipped


@pytest.mark.parametrize("lots", [D("0"), D("-1"), D("NaN"), D("Infinity")])
def test_apply_fill_rejects_bad_lots(lots: D) -> None:
    with pytest.raises(InvalidLots):
        apply_fill(None, "EURUSD", Side.BUY, lots, D("1.1"), FX)


def test_apply_fill_rejects_other_symbol_and_bad_price() -> None:
    long = PositionState("EURUSD", D("1"), D("1.1"))
    with pytest.raises(ValueError, match="GBPUSD"):
        apply_fill(long, "GBPUSD", Side.BUY, D("1"), D("1.3"), FX)
    with pytest.raises(ValueError, match="price"):
        apply_fill(long, "EURUSD", Side.BUY, D("1"), D("0"), FX)


@pytest.mark.parametrize(
    ("signed_lots", "avg_price", "bid", "ask", "contract", "expected"),
    [
        (D("1"), D("1.10000"), D("1.10100"), D("1.10110"), FX, D("100")),  # long at bid
        (D("-1"), D("1.10000"), D("1.10100"), D("1.10110"), FX, D("-110")),  # short at ask
        (D("-1"), D("150.000"), D("150.490"), D("150.500"), FX, D("-50000")),
        (D("0.1"), D("2000.00"), D("1990.00"), D("1990.50"), GOLD, D("-100")),
        (D("0"), D("0"), D("1.1"), D("1.2"), FX, D("0")),
    ],
)
def test_unrealized_pnl(
    signed_lots: D, avg_price: D, bid: D, ask: D, contract: D, expected: D
) -> None:
    position = PositionState("X", signed_lots, avg_price)
    assert unrealized_pnl(position, bid, ask, contract) == expected


def test_unrealized_pnl_of_no_position_is_zero() -> None:
    assert unrealized_pnl(None, D("1"), D("2"), FX) == 0


def test_close_fill_side() -> None:
    assert close_fill_side(PositionState("EURUSD", D("2"), D("1.1"))) is Side.SELL
    assert close_fill_side(PositionState("EURUSD", D("-2"), D("1.1"))) is Side.BUY
    with pytest.raises(PositionNotFound) as raised:
        close_fill_side(flat("EURUSD"))
    assert raised.value.symbol_or_id == "EURUSD"


def test_side_sign_and_opposite() -> None:
    assert (Side.BUY.sign, Side.SELL.sign) == (1, -1)
    assert (Side.BUY.opposite, Side.SELL.opposite) == (Side.SELL, Side.BUY)
    assert Side("BUY") is Side.BUY and Side.SELL == "SELL"


# --- properties -----------------------------------------------------------------------------

lots_st = st.integers(min_value=1, max_value=5000).map(lambda n: D(n).scaleb(-2))
eurusd_price_st = st.integers(min_value=100_000, max_value=130_000).map(lambda n: D(n).scaleb(-5))
side_st = st.sampled_from([Side.BUY, Side.SELL])
fill_st = st.tuples(side_st, lots_st, eurusd_price_st)


@given(st.lists(fill_st, min_size=1, max_size=30))
def test_position_is_the_sum_of_fills(fills: list[tuple[Side, D, D]]) -> None:
    position: PositionState | None = None
    for side, lots, price in fills:
        position = apply_fill(position, "EURUSD", side, lots, price, FX).position
    assert position is not None
    assert position.signed_lots == sum((side.sign * lots for side, lots, _ in fills), D(0))
    if position.is_flat:
        assert position.avg_price == 0


@given(side_st, st.lists(st.tuples(lots_st, eurusd_price_st), min_size=1, max_size=20))
def test_average_lies_between_opening_prices(side: Side, fills: list[tuple[D, D]]) -> None:
    position: PositionState | None = None
    for lots, price in fills:
        position = apply_fill(position, "EURUSD", side, lots, price, FX).position
    assert position is not None
    prices = [price for _, price in fills]
    assert min(prices) <= position.avg_price <= max(prices)


def _split(total_steps: int, cuts: list[int]) -> list[int]:
    points = sorted({c for c in cuts if 0 < c < total_steps})
    bounds = [0, *points, total_steps]
    return [b - a for a, b in pairwise(bounds)]


jpy_price_st = st.integers(min_value=100_000, max_value=200_000).map(lambda n: D(n).scaleb(-3))


@given(
    side_st,
    st.lists(st.tuples(lots_st, jpy_price_st), min_size=1, max_size=5),
    jpy_price_st,
    st.lists(st.integers(min_value=1, max_value=25_000), max_size=10),
)
def test_closing_in_splits_realises_the_same_pnl(
    side: Side, opens: list[tuple[D, D]], close_price: D, cuts: list[int]
) -> None:
    position: PositionState | None = None
    for lots, price in opens:
        position = apply_fill(position, "USDJPY", side, lots, price, FX).position
    assert position is not None
    whole = apply_fill(position, "USDJPY", side.opposite, position.lots, close_price, FX)
    parts = []
    remaining: PositionState = position
    for steps in _split(int(position.lots * 100), cuts):
        outcome = apply_fill(
            remaining, "USDJPY", side.opposite, D(steps).scaleb(-2), close_price, FX
        )
        parts.append(outcome.realized_pnl)
        remaining = outcome.position
    assert remaining.is_flat
    assert sum(parts, D(0)) == whole.realized_pnl
    booked_parts = sum((convert_money(p, "JPY", "USD", USD_RATES) for p in parts), D(0))
    booked_whole = convert_money(whole.realized_pnl, "JPY", "USD", USD_RATES)
    assert abs(booked_parts - booked_whole) <= D("0.01") * len(parts)
    assert round_money(booked_parts, "USD") == booked_parts
