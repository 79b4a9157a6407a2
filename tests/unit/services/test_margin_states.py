"""The positions engine and the sweep judge margin states by the same rule, at the boundaries too.

The sweep (services.risk) decides with domain.risk.margin_state on exact Decimals; the engine
(services.engine.revalue.margin_states) on floats, deferring to margin_state near a threshold.
"""

from __future__ import annotations

from decimal import Decimal as D

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.risk import MarginState, margin_state
from services.engine.book import MARGIN_CALL, OK, STOP_OUT
from services.engine.revalue import Levels, margin_states

CODES = {MarginState.OK: OK, MarginState.MARGIN_CALL: MARGIN_CALL, MarginState.STOP_OUT: STOP_OUT}
LEVELS = Levels(100.0, 50.0)

PAIRS = [
    ("500.00", "1000.00"),  # exactly 50%: stop out
    ("500.04", "1000.00"),  # 50.004%: margin call, not stop out
    ("499.99", "1000.00"),
    ("500.01", "1000.02"),  # exactly 50%
    ("333.33", "666.66"),  # exactly 50%
    ("333.34", "666.66"),  # 50.0015%
    ("1000.00", "1000.00"),  # exactly 100%: margin call
    ("1000.01", "1000.00"),  # 100.001%: OK
    ("1234.56", "1234.56"),
    ("1234.57", "1234.56"),
    ("0.00", "0.01"),
    ("-5.00", "1000.00"),
    ("100.00", "0.00"),  # no margin used: OK
    ("98765432.10", "98765432.10"),
    ("49382716.05", "98765432.10"),  # exactly 50% of a large account
]


@pytest.mark.parametrize(("equity", "used"), PAIRS)
def test_the_engine_and_the_sweep_agree_at_the_boundaries(equity: str, used: str) -> None:
    exact = margin_state(D(equity), D(used), D(100), D(50))
    engine = margin_states(np.array([float(equity)]), np.array([float(used)]), LEVELS)
    assert engine[0] == CODES[exact]


cents = st.integers(min_value=-(10**10), max_value=10**11)


@given(cents, st.integers(min_value=0, max_value=10**11))
def test_they_agree_on_any_amounts_in_cents(equity_cents: int, used_cents: int) -> None:
    equity, used = D(equity_cents).scaleb(-2), D(used_cents).scaleb(-2)
    exact = margin_state(equity, used, D(100), D(50))
    engine = margin_states(np.array([float(equity)]), np.array([float(used)]), LEVELS)
    assert engine[0] == CODES[exact]
