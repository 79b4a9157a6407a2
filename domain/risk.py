"""Margin call and stop out.

Policy:
- An account with no margin used (margin_level None) is OK. Otherwise a margin level at or below
  ``stop_out_level`` is STOP_OUT, else at or below ``margin_call_level`` is MARGIN_CALL, else OK.
  Levels are percentages (equity / used margin x 100), e.g. margin call 100, stop out 50.
- Stop out closes the most losing position first, one at a time, re-valuing the account after
  each close: ``stop_out_sequence`` orders positions by unrealised PnL in the account currency,
  lowest first, ties broken by symbol so the order is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum


class MarginState(StrEnum):
    OK = "OK"
    MARGIN_CALL = "MARGIN_CALL"
    STOP_OUT = "STOP_OUT"


def margin_state(
    margin_level: Decimal | None, margin_call_level: Decimal, stop_out_level: Decimal
) -> MarginState:
    """Classify a margin level against the margin call and stop-out thresholds."""
    if margin_level is None:
        return MarginState.OK
    if margin_level <= stop_out_level:
        return MarginState.STOP_OUT
    if margin_level <= margin_call_level:
        return MarginState.MARGIN_CALL
    return MarginState.OK


def stop_out_sequence(positions: Sequence[tuple[str, Decimal]]) -> list[str]:
    """Return the symbols of (symbol, unrealized_pnl) pairs, most losing first."""
    return [symbol for symbol, _ in sorted(positions, key=lambda item: (item[1], item[0]))]
