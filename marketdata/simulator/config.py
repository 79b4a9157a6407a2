"""Simulator settings, read from the environment in one place (`SimulatorConfig.from_env`).

Policy: the defaults make `make run` work: no plan limits, integer `seq`/`tick_time` in
milliseconds, the 30 s heartbeat timeout, unknown codes silently ignored, no snapshot on subscribe.
The points the vendor's documentation leaves open (docs/alltick-protocol.md, 8. Open points and
differences) are settings here, so tests can exercise every variant.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

NUMBERS = ("int", "string")
TIME_UNITS = ("ms", "s")
UNKNOWN_CODE_POLICIES = ("ignore", "error")
WRONG_CREDENTIAL_POLICIES = ("refuse", "close")


@dataclass(frozen=True, slots=True)
class SimLimits:
    """Plan limits the simulator enforces when they are switched on."""

    connections: int = 1
    symbols_per_connection: int = 100
    request_spacing_s: float = 1.0
    cross_connection_spacing_s: float = 3.0
    rest_interval_s: float = 1.0
    batch_kline_interval_s: float = 3.0

    @classmethod
    def for_plan(cls, plan: str) -> SimLimits:
        """Return the documented limits of `plan` (free, basic, premium, professional)."""
        table = {
            "free": cls(1, 5, 1.0, 3.0, 10.0, 10.0),
            "basic": cls(1, 100, 1.0, 3.0, 1.0, 3.0),
            "premium": cls(3, 200, 1.0, 3.0, 0.1, 2.0),
            "professional": cls(10, 3000, 1.0, 3.0, 0.05, 1.0),
        }
        return table[plan]


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything the simulator can be told at start."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str = "sim-token"  # noqa: S105 - the public credential of a local test server
    # The control API's token (SIMULATOR_CONTROL_TOKEN, a secret); empty: Simulator makes one.
    control_token: str = field(default="", repr=False)
    seed: int = 20260601
    heartbeat_timeout_s: float = 30.0
    limits: SimLimits | None = None
    numbers: str = "int"
    time_unit: str = "ms"
    unknown_codes: str = "ignore"
    snapshot_on_subscribe: bool = False
    tick_rate_scale: float = 1.0
    malformed_ret: int = 400
    wrong_credential_on_upgrade: str = "refuse"

    def __post_init__(self) -> None:
        _check("numbers", self.numbers, NUMBERS)
        _check("time_unit", self.time_unit, TIME_UNITS)
        _check("unknown_codes", self.unknown_codes, UNKNOWN_CODE_POLICIES)
        _check(
            "wrong_credential_on_upgrade",
            self.wrong_credential_on_upgrade,
            WRONG_CREDENTIAL_POLICIES,
        )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SimulatorConfig:
        """Build a config from SIMULATOR_* environment variables."""
        env = dict(os.environ if environ is None else environ)
        plan = env.get("SIMULATOR_LIMITS", "off")
        return cls(
            host=env.get("SIMULATOR_HOST", cls.host),
            port=int(env.get("SIMULATOR_PORT", str(cls.port))),
            token=env.get("SIMULATOR_TOKEN", cls.token),
            control_token=env.get("SIMULATOR_CONTROL_TOKEN", ""),
            seed=int(env.get("SIMULATOR_SEED", str(cls.seed))),
            heartbeat_timeout_s=float(env.get("SIMULATOR_HEARTBEAT_TIMEOUT", "30")),
            limits=None if plan == "off" else SimLimits.for_plan(plan),
            numbers=env.get("SIMULATOR_NUMBERS", cls.numbers),
            time_unit=env.get("SIMULATOR_TIME_UNIT", cls.time_unit),
            tick_rate_scale=float(env.get("SIMULATOR_TICK_RATE_SCALE", "1")),
        )


def _check(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, not {value!r}")
