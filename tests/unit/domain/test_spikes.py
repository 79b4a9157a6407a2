"""The spike filter on a sequence of mids (limit 2%, two confirming ticks)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from domain.spikes import SpikeState, Verdict, screen

LIMIT, CONFIRMATIONS = D("0.02"), 2
A, H, C, DR = Verdict.ACCEPT, Verdict.HOLD, Verdict.CONFIRMED, Verdict.DROPPED


def run(mids: list[str]) -> list[Verdict]:
    state, verdicts = SpikeState(), []
    for mid in mids:
        state, verdict = screen(state, D(mid), LIMIT, CONFIRMATIONS)
        verdicts.append(verdict)
    return verdicts


@pytest.mark.parametrize(
    ("mids", "expected"),
    [
        (["1.1000", "1.1010", "1.0990"], [A, A, A]),
        (["1.1000", "1.1220"], [A, A]),  # exactly 2%: accepted
        (["1.1000", "1.5000", "1.1005"], [A, H, DR]),  # one bad tick, dropped
        (["1.1000", "1.5000", "1.5010", "1.4990"], [A, H, H, C]),  # a real gap, confirmed
        (["1.1000", "1.5000", "0.8000", "0.8001", "0.8002"], [A, H, H, H, C]),  # new suspicion
        (["1.1000", "1.5000", "1.5010", "1.1000"], [A, H, H, DR]),
    ],
)
def test_screen(mids: list[str], expected: list[Verdict]) -> None:
    assert run(mids) == expected


def test_a_confirmed_move_becomes_the_reference() -> None:
    state = SpikeState()
    for mid in ("1.1000", "1.5000", "1.5010", "1.4990"):
        state, _ = screen(state, D(mid), LIMIT, CONFIRMATIONS)
    assert (state.accepted, state.held) == (D("1.4990"), None)
    assert screen(state, D("1.1000"), LIMIT, CONFIRMATIONS)[1] is Verdict.HOLD
