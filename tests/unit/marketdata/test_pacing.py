"""Unit tests of request pacing, per-endpoint rate limits and reconnect back-off."""

from __future__ import annotations

import random
import threading

from hypothesis import given
from hypothesis import strategies as st

from marketdata.alltick.pacing import Backoff, RateLimiter, RequestPacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacer_coalesces_duplicates_and_keeps_first_queued_order() -> None:
    pacer = RequestPacer(spacing=0.0)
    for kind in ("depth", "trade", "depth", "heartbeat", "trade"):
        pacer.put(kind)
    taken = [pacer.take(timeout=0.1) for _ in range(4)]
    assert taken == ["depth", "trade", "heartbeat", None]


def test_pacer_releases_no_sooner_than_spacing() -> None:
    clock = FakeClock()
    pacer = RequestPacer(spacing=1.0, clock=clock)
    pacer.put("depth")
    pacer.put("trade")
    assert pacer.take(timeout=0.0) == "depth"
    assert pacer.take(timeout=0.0) is None  # the clock has not moved: too soon
    clock.now += 0.999
    assert pacer.take(timeout=0.0) is None
    clock.now += 0.001
    assert pacer.take(timeout=0.0) == "trade"


def test_pacer_close_wakes_a_waiter() -> None:
    pacer = RequestPacer(spacing=0.0)
    result: list[str | None] = []
    waiter = threading.Thread(target=lambda: result.append(pacer.take(timeout=30)))
    waiter.start()
    pacer.close()
    waiter.join(5)
    assert result == [None]


def test_rate_limiter_spaces_calls_per_key() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    assert limiter.acquire("/kline", 1.0) == 0
    assert limiter.acquire("/trade-tick", 1.0) == 0  # another endpoint is independent
    assert limiter.acquire("/kline", 1.0) == 1.0
    limiter.penalise("/kline", 5.0)
    assert limiter.acquire("/kline", 1.0) == 5.0


@given(
    floor=st.floats(0.01, 20),
    ceiling=st.floats(0.01, 120),
    failures=st.integers(0, 40),
    seed=st.integers(0, 1000),
)
def test_backoff_is_never_below_floor_nor_above_ceiling_plus_jitter(
    floor: float, ceiling: float, failures: int, seed: int
) -> None:
    backoff = Backoff(floor, ceiling, jitter=0.25, rng=random.Random(seed))
    for _ in range(failures):
        delay = backoff.next_delay()
        assert floor <= delay <= max(ceiling, floor) * 1.25 + 1e-9


def test_backoff_grows_and_penalty_skips_steps() -> None:
    backoff = Backoff(1.0, 60.0, jitter=0.0)
    assert [backoff.next_delay() for _ in range(3)] == [1.0, 2.0, 4.0]
    backoff.penalise()
    assert backoff.next_delay() == 32.0
    backoff.reset()
    assert backoff.next_delay() == 1.0
