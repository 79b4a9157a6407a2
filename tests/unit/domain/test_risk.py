"""Margin call / stop-out classification and stop-out ordering."""

from decimal import Decimal as D

import pytest

from domain.risk import MarginState, margin_state, stop_out_sequence


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (None, MarginState.OK),
        (D("420.29"), MarginState.OK),
        (D("100.01"), MarginState.OK),
        (D("100.00"), MarginState.MARGIN_CALL),
        (D("50.01"), MarginState.MARGIN_CALL),
        (D("50"), MarginState.STOP_OUT),
        (D("0"), MarginState.STOP_OUT),
        (D("-12.5"), MarginState.STOP_OUT),
    ],
)
def test_margin_state(level: D | None, expected: MarginState) -> None:
    assert margin_state(level, D("100"), D("50")) is expected


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
