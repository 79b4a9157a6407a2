"""Margin call and stop out.

Policy:
- One rule decides the margin state, everywhere (the engine, the sweep, stop out, the pre-trade
  check): an account with no margin used is OK; otherwise, with the margin level
  equity / used margin x 100 computed EXACTLY (never rounded first), a level at or below
  ``stop_out_level`` is STOP_OUT, else at or below ``margin_call_level`` is MARGIN_CALL, else OK.
  Levels are percentages, e.g. margin call 100, stop out 50: a level of exactly 50% stops out,
  50.004% does not (the level shown, rounded to 0.01, would read 50.00 for both).
  The comparison is made without division: equity x 100 <= level x used margin.
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
    equity: Decimal, used_margin: Decimal, margin_call_level: Decimal, stop_out_level: Decimal
) -> MarginState:
    """Classify an account's exact margin level against the margin call and stop-out levels."""
    if at_or_below(equity, used_margin, stop_out_level):
        return MarginState.STOP_OUT
    if at_or_below(equity, used_margin, margin_call_level):
        return MarginState.MARGIN_CALL
    return MarginState.OK


def at_or_below(equity: Decimal, used_margin: Decimal, level: Decimal) -> bool:
    """Return whether the exact margin level is at or below `level` (never with no margin)."""
    return used_margin > 0 and equity * 100 <= level * used_margin


def stop_out_sequence(positions: Sequence[tuple[str, Decimal]]) -> list[str]:
    """Return the symbols of (symbol, unrealized_pnl) pairs, most losing first."""
    return [symbol for symbol, _ in sorted(positions, key=lambda item: (item[1], item[0]))]
