"""Margin call / stop-out classification and stop-out ordering."""

from decimal import Decimal as D

import pytest

from domain.risk import MarginState, margin_state, stop_out_sequence


@pytest.mark.parametrize(
    ("equity", "used", "expected"),
    [
        ("100", "0", MarginState.OK),  # no margin used
        ("-5", "0", MarginState.OK),
        ("4202.90", "1000", MarginState.OK),
        ("1000.10", "1000", MarginState.OK),  # 100.01%
        ("1000.00", "1000", MarginState.MARGIN_CALL),  # exactly 100%
        ("500.10", "1000", MarginState.MARGIN_CALL),  # 50.01%
        ("500.04", "1000.00", MarginState.MARGIN_CALL),  # 50.004%: shown as 50.00, not stop out
        ("500.00", "1000.00", MarginState.STOP_OUT),  # exactly 50%
        ("333.33", "666.66", MarginState.STOP_OUT),  # exactly 50% with awkward numbers
        ("333.34", "666.66", MarginState.MARGIN_CALL),  # 50.0015%
        ("0", "1000", MarginState.STOP_OUT),
        ("-125", "1000", MarginState.STOP_OUT),
    ],
)
def test_margin_state(equity: str, used: str, expected: MarginState) -> None:
    assert margin_state(D(equity), D(used), D("100"), D("50")) is expected


def test_stop_out_sequence_most_losing_first_ties_by_symbol() -> None:
    positions = [
        ("XAUUSD", D("30")),
        ("GBPUSD", D("-100")),
        ("USDJPY", D("-250.5")),
        ("EURUSD", D("-100")),
        ("AUDUSD", D("0")),
    ]
    assert stop_out_sequence(positions) == ["USDJPY", "EURUSD", "GBPUSD", "AUDUSD", "XAUUSD"]
    assert stop_out_sequence([]) == []
