"""Spike filter: a tick that jumps too far from the last accepted price waits for confirmation.

Policy (per symbol, on the mid of each tick; time is not involved, only the sequence of ticks):
- The first tick is accepted.
- A tick whose mid is within ``limit`` (a fraction, e.g. 0.02 = 2%) of the last accepted mid is
  accepted. If a suspected spike was being held, it is dropped: it was a bad tick.
- A tick further than ``limit`` from the last accepted mid is held (not stored, not published,
  never traded on). Each following tick within ``limit`` of the held mid confirms it; after
  ``confirmations`` such ticks the move is real and that tick is accepted. A tick far from both
  starts a new suspicion.
So one bad tick never becomes a price anyone can trade or be stopped out on, and a real gap is
accepted a few ticks late.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Verdict(StrEnum):
    """What to do with a tick."""

    ACCEPT = "accept"
    HOLD = "hold"  # a suspected spike: not stored
    CONFIRMED = "confirmed"  # accept: the held move was confirmed
    DROPPED = "dropped"  # accept: the held spike came to nothing


@dataclass(frozen=True)
class SpikeState:
    """A symbol's last accepted mid and the suspected spike held, if any."""

    accepted: Decimal | None = None
    held: Decimal | None = None
    agreeing: int = 0


def _within(mid: Decimal, reference: Decimal, limit: Decimal) -> bool:
    return abs(mid - reference) <= abs(reference) * limit


def screen(
    state: SpikeState, mid: Decimal, limit: Decimal, confirmations: int
) -> tuple[SpikeState, Verdict]:
    """Return the symbol's next state and what to do with a tick of mid `mid`."""
    if state.accepted is None:
        return SpikeState(mid), Verdict.ACCEPT
    if _within(mid, state.accepted, limit):
        return SpikeState(mid), Verdict.DROPPED if state.held is not None else Verdict.ACCEPT
    if state.held is not None and _within(mid, state.held, limit):
        agreeing = state.agreeing + 1
        if agreeing >= confirmations:
            return SpikeState(mid), Verdict.CONFIRMED
        return SpikeState(state.accepted, state.held, agreeing), Verdict.HOLD
    return SpikeState(state.accepted, mid, 0), Verdict.HOLD
