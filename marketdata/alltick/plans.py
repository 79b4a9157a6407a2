"""Alltick plan limits, so both clients stay inside them by waiting.

The limits: docs/alltick-protocol.md, 5. Plan limits.

Policy: REST calls of one endpoint are spaced by the plan's interval (`/batch-kline` has its own);
WebSocket requests on one connection at least 1 s apart; a reconnect no sooner than 10 s (free) or
3 s (paid) after a drop. `UNLIMITED` is for our simulator with its limits off.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Plan(StrEnum):
    """Alltick subscription plans."""

    FREE = "free"
    BASIC = "basic"
    PREMIUM = "premium"
    PROFESSIONAL = "professional"
    UNLIMITED = "unlimited"


@dataclass(frozen=True, slots=True)
class PlanLimits:
    """What one token may do on a plan."""

    connections: int
    symbols_per_connection: int
    rest_interval_s: float
    batch_kline_interval_s: float
    ws_request_spacing_s: float
    reconnect_spacing_s: float


PLAN_LIMITS: dict[Plan, PlanLimits] = {
    Plan.FREE: PlanLimits(1, 5, 10.0, 10.0, 1.0, 10.0),
    Plan.BASIC: PlanLimits(1, 100, 1.0, 3.0, 1.0, 3.0),
    Plan.PREMIUM: PlanLimits(3, 200, 0.1, 2.0, 1.0, 3.0),
    Plan.PROFESSIONAL: PlanLimits(10, 3000, 0.05, 1.0, 1.0, 3.0),
    Plan.UNLIMITED: PlanLimits(1_000_000, 1_000_000, 0.0, 0.0, 0.0, 0.0),
}


def limits_for(plan: Plan | str) -> PlanLimits:
    """Return the limits of `plan`."""
    return PLAN_LIMITS[Plan(plan)]
