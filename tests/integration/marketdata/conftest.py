"""Fixtures: an in-process simulator on a free port, our stream against it, and waiting helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from marketdata.alltick.models import DepthTick, TradeTick
from marketdata.alltick.ws_client import AlltickStream, StreamSettings
from marketdata.simulator import Simulator, SimulatorConfig

TOKEN = "sim-token"


def _wait_until(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    """Return a poller: wait_until(predicate, timeout, what) -> the truthy value, or fail."""
    return _wait_until


class Recorder:
    """Collect what a stream delivers, in arrival order."""

    def __init__(self) -> None:
        self.ticks: list[DepthTick | TradeTick] = []
        self.alerts: list[tuple[str, str]] = []
        self._lock = threading.Condition()

    def on_tick(self, tick: DepthTick | TradeTick) -> None:
        with self._lock:
            self.ticks.append(tick)
            self._lock.notify_all()

    def on_alert(self, reason: str, detail: str) -> None:
        with self._lock:
            self.alerts.append((reason, detail))
            self._lock.notify_all()

    def wait_ticks(
        self, mark: int, code: str, count: int = 1, kind: type = DepthTick, timeout: float = 5.0
    ) -> None:
        """Wait until `count` ticks of `code` and `kind` arrived after `mark`; fail otherwise."""
        with self._lock:
            arrived = self._lock.wait_for(
                lambda: len(self._since(mark, code, kind)) >= count, timeout
            )
        if not arrived:
            pytest.fail(f"timed out waiting for {count} {kind.__name__} of {code}")

    def wait_alert(self, timeout: float = 5.0) -> tuple[str, str]:
        """Wait for the first alert and return it."""
        with self._lock:
            if not self._lock.wait_for(lambda: self.alerts, timeout):
                pytest.fail("timed out waiting for an alert")
            return self.alerts[0]

    def mark(self) -> int:
        with self._lock:
            return len(self.ticks)

    def since(self, mark: int, code: str | None = None, kind: type | None = None) -> list[Any]:
        with self._lock:
            return self._since(mark, code, kind)

    def _since(self, mark: int, code: str | None, kind: type | None) -> list[Any]:
        ticks = self.ticks[mark:]
        return [
            t
            for t in ticks
            if (code is None or t.code == code) and (kind is None or isinstance(t, kind))
        ]


@pytest.fixture
def start_sim() -> Iterator[Callable[..., Simulator]]:
    sims: list[Simulator] = []

    def start(**overrides: Any) -> Simulator:
        config = SimulatorConfig(**{"port": 0, "tick_rate_scale": 8.0, **overrides})
        sim = Simulator(config)
        sim.start_in_thread()
        sims.append(sim)
        return sim

    yield start
    for sim in sims:
        sim.stop()


@pytest.fixture
def sim(start_sim: Callable[..., Simulator]) -> Simulator:
    return start_sim()


FAST = {"request_spacing": 0.02, "reconnect_spacing": 0.05, "max_backoff": 0.5, "read_timeout": 5.0}


@pytest.fixture
def start_stream() -> Iterator[Callable[..., tuple[AlltickStream, Recorder]]]:
    streams: list[AlltickStream] = []

    def start(
        sim: Simulator,
        depth: tuple[str, ...] = ("EURUSD",),
        trades: tuple[str, ...] = (),
        token: str = TOKEN,
        **settings: Any,
    ) -> tuple[AlltickStream, Recorder]:
        recorder = Recorder()
        stream = AlltickStream(
            sim.ws_url(),
            token,
            recorder.on_tick,
            recorder.on_tick,
            settings=StreamSettings(**{**FAST, **settings}),
            on_alert=recorder.on_alert,
        )
        stream.subscribe_depth(depth)
        stream.subscribe_trades(trades)
        stream.start()
        streams.append(stream)
        return stream, recorder

    yield start
    for stream in streams:
        stream.stop()
