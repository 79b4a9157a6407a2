"""Unit tests of the simulator's price walk, candles and request validation."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketdata.simulator.envelope import RequestInvalid, parse_envelope, parse_symbols
from marketdata.simulator.history import bar_open, candles
from marketdata.simulator.instruments import INSTRUMENTS
from marketdata.simulator.market import Market

REQUIRED_CODES = [
    "EURUSD",
    "GBPUSD",
    "USDJPY",
    "USDCHF",
    "AUDUSD",
    "USDCAD",
    "NZDUSD",
    "EURGBP",
    "EURJPY",
    "GBPJPY",
    "EURCHF",
    "AUDJPY",
    "EURAUD",
    "EURCAD",
    "GBPCHF",
    "CADJPY",
    "CHFJPY",
    "NZDJPY",
    "AUDNZD",
    "GBPAUD",
    "GOLD",
    "Silver",
]


def test_table_has_every_required_code() -> None:
    assert set(REQUIRED_CODES) <= set(INSTRUMENTS)


def test_same_seed_gives_the_same_prices() -> None:
    a, b = Market(42), Market(42)
    steps_a = [(q.bids, q.asks, q.seq) for q in (a.step("EURUSD") for _ in range(50))]
    steps_b = [(q.bids, q.asks, q.seq) for q in (b.step("EURUSD") for _ in range(50))]
    assert steps_a == steps_b
    m43, m44 = Market(43), Market(44)
    assert [m43.step("EURUSD").bids for _ in range(20)] != [
        m44.step("EURUSD").bids for _ in range(20)
    ]


def test_other_codes_do_not_disturb_a_codes_path() -> None:
    a, b = Market(7), Market(7)
    for _ in range(20):
        b.step("GOLD")
    assert [a.step("EURUSD").bids for _ in range(5)] == [b.step("EURUSD").bids for _ in range(5)]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), code=st.sampled_from(sorted(INSTRUMENTS)))
def test_quotes_are_never_crossed_and_always_positive(seed: int, code: str) -> None:
    market = Market(seed)
    for _ in range(200):
        quote = market.step(code)
        assert Decimal(0) < quote.bids[0][0] < quote.asks[0][0]
        assert [p for p, _ in quote.bids] == sorted((p for p, _ in quote.bids), reverse=True)


def test_hold_freezes_the_mid_at_the_given_price() -> None:
    market = Market(1)
    market.walks["EURUSD"].set_mid(Decimal("1.20000"), hold=True)
    quotes = {
        (market.step("EURUSD").bids[0][0], market.last("EURUSD").asks[0][0]) for _ in range(10)
    }
    assert quotes == {(Decimal("1.19996"), Decimal("1.20004"))}


@pytest.mark.parametrize(
    ("ts", "kline_type", "expected"),
    [
        (1781166146, 1, 1781166120),
        (1781166146, 5, 1781164800),
        (1781166146, 8, 1781136000),
        (1781166146, 9, 1780876800),  # Monday 2026-06-08
        (1781166146, 10, 1780272000),  # 2026-06-01
    ],
)
def test_bar_open(ts: int, kline_type: int, expected: int) -> None:
    assert bar_open(ts, kline_type) == expected


def test_candles_are_continuous_and_end_at_the_live_price() -> None:
    market = Market(3)
    walk = market.walks["GOLD"]
    bars = candles(walk, 1, 10, 0, 3)
    assert len(bars) == 10
    assert bars[-1]["close_price"] == str(walk.last.price)
    for older, newer in itertools.pairwise(bars):
        assert older["close_price"] == newer["open_price"]
        assert int(newer["timestamp"]) - int(older["timestamp"]) == 60
        assert Decimal(newer["low_price"]) <= Decimal(newer["high_price"])


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "[]",
        '{"cmd_id":22000,"seq_id":1,"trace":"t"}',
        '{"cmd_id":"22000","seq_id":1,"trace":"t","data":{}}',
        '{"cmd_id":22000,"seq_id":true,"trace":"t","data":{}}',
        '{"cmd_id":22000,"seq_id":1,"trace":5,"data":{}}',
        '{"cmd_id":22000,"seq_id":1,"trace":"' + "x" * 65 + '","data":{}}',
    ],
)
def test_bad_envelopes_are_refused(text: str) -> None:
    with pytest.raises(RequestInvalid):
        parse_envelope(text)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"symbol_list": "EURUSD"},
        {"symbol_list": [{"code": 1}]},
        {"symbol_list": [{"code": "A", "depth_level": 0}]},
    ],
)
def test_bad_symbol_lists_are_refused(data: dict) -> None:
    with pytest.raises(RequestInvalid):
        parse_symbols(data)


def test_config_from_env() -> None:
    from marketdata.simulator.config import SimulatorConfig

    config = SimulatorConfig.from_env(
        {"SIMULATOR_HOST": "0.0.0.0", "SIMULATOR_PORT": "9999", "SIMULATOR_LIMITS": "basic"}
    )
    assert (config.host, config.port) == ("0.0.0.0", 9999)
    assert config.limits is not None and config.limits.symbols_per_connection == 100
    with pytest.raises(ValueError, match="numbers"):
        SimulatorConfig(numbers="float")
