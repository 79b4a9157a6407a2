"""A small blocking client of the simulator's control API, for tests and benchmarks.

Policy: one method per control endpoint (see `control.py`), JSON in and out, the control token
sent as `Authorization: Bearer`; an HTTP error raises `requests.HTTPError`. Other teams' tests use
it too, e.g. `price("EURUSD", "1.05", hold=True)` to drive a stop-out. An in-process simulator
gives one with its token: `Simulator.control()`.
"""

from __future__ import annotations

from typing import Any

import requests


class ControlClient:
    """Drive a running simulator's faults and prices."""

    def __init__(self, control_url: str, token: str, timeout: float = 5.0) -> None:
        self._base = control_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"ControlClient({self._base!r})"  # never the token

    def _post(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.post(
            f"{self._base}/{name}", json=body or {}, headers=self._headers, timeout=self._timeout
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def state(self) -> dict[str, Any]:
        """Return connections, stats, format and faults."""
        response = requests.get(f"{self._base}/state", headers=self._headers, timeout=self._timeout)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def stale(self, code: str, stale: bool = True) -> dict[str, Any]:
        """Stop (or resume) pushing `code`."""
        return self._post("stale", {"code": code, "stale": stale})

    def drop(self) -> dict[str, Any]:
        """Close every WebSocket connection."""
        return self._post("drop")

    def refuse(self, enabled: bool = True, status: int = 429) -> dict[str, Any]:
        """Refuse (or accept again) WebSocket upgrades with `status`."""
        return self._post("refuse", {"enabled": enabled, "status": status})

    def inject(self, code: str, kind: str) -> dict[str, Any]:
        """Send one malformed, crossed, non_positive or out_of_order depth push of `code`."""
        return self._post("inject", {"code": code, "kind": kind})

    def set_format(self, numbers: str = "int", time_unit: str = "ms") -> dict[str, Any]:
        """Render `seq`/`tick_time` as "int" or "string", in "ms" or "s"."""
        return self._post("format", {"numbers": numbers, "time_unit": time_unit})

    def fast(self, enabled: bool = True, rate: float | None = None) -> dict[str, Any]:
        """Push at `rate` updates per second per code, or as fast as possible with None."""
        return self._post("fast", {"enabled": enabled, "rate": rate})

    def price(self, code: str, mid: str, hold: bool = False) -> dict[str, Any]:
        """Move `code`'s mid to `mid` (a decimal string) and push at once; `hold` freezes it."""
        return self._post("price", {"code": code, "mid": mid, "hold": hold})

    def spike(self, code: str, factor: str) -> dict[str, Any]:
        """Push one update of `code` at `factor` x its mid (a bad tick); the walk goes on."""
        return self._post("spike", {"code": code, "factor": factor})

    def reset(self) -> dict[str, Any]:
        """Return to a fresh market with no faults and the default format."""
        return self._post("reset")
