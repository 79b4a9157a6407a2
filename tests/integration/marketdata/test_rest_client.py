"""Our AlltickRest against our simulator over real sockets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from marketdata.alltick.errors import AuthError, CodeRejectedError, RateLimitError, RequestError
from marketdata.alltick.plans import PlanLimits
from marketdata.alltick.rest_client import AlltickRest
from marketdata.simulator import SimLimits, Simulator


def client(sim: Simulator, token: str = "sim-token", **kwargs: object) -> AlltickRest:
    return AlltickRest(sim.rest_url(), token, plan="unlimited", **kwargs)  # type: ignore[arg-type]


def test_kline_returns_bars_oldest_first_ending_now(sim: Simulator) -> None:
    bars = client(sim).kline("EURUSD", 1, 5)
    assert len(bars) == 5
    stamps = [b.timestamp for b in bars]
    assert stamps == sorted(stamps)
    assert datetime.now(UTC) - stamps[-1] < timedelta(minutes=1)
    assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high for b in bars)


def test_batch_trade_and_depth(sim: Simulator) -> None:
    rest = client(sim)
    batch = rest.batch_kline(["EURUSD", "GOLD"], 8, 2)
    assert {code: len(bars) for code, bars in batch.items()} == {"EURUSD": 2, "GOLD": 2}
    (trade,) = rest.trade_tick(["GOLD"])
    (depth,) = rest.depth_tick(["GOLD"])
    assert trade.code == depth.code == "GOLD"
    assert depth.best_bid is not None and depth.best_ask is not None
    assert depth.best_bid < depth.best_ask


def test_unknown_code_is_rejected(sim: Simulator) -> None:
    with pytest.raises(CodeRejectedError) as caught:
        client(sim).kline("XAUUSD", 1, 1)
    assert caught.value.ret == 600


def test_wrong_token_is_an_auth_error(sim: Simulator) -> None:
    with pytest.raises(AuthError):
        client(sim, token="wrong").trade_tick(["GOLD"])


def test_empty_batch_is_a_request_error(sim: Simulator) -> None:
    with pytest.raises(RequestError) as caught:
        client(sim).batch_kline([], 1)
    assert caught.value.ret == 601


def test_client_waits_to_stay_inside_the_rate_limit(
    start_sim: Callable[..., Simulator],
) -> None:
    sim = start_sim(limits=SimLimits(rest_interval_s=0.2, batch_kline_interval_s=0.2))
    limits = PlanLimits(1, 100, 0.3, 0.3, 1.0, 3.0)
    rest = client(sim, limits=limits)
    for _ in range(3):
        rest.kline("EURUSD", 1, 1)
    rest.trade_tick(["GOLD"])  # another endpoint does not wait
    assert sim.control().state()["stats"].get("rest_429", 0) == 0


def test_server_429_raises_and_penalises_the_endpoint(start_sim: Callable[..., Simulator]) -> None:
    sim = start_sim(limits=SimLimits(rest_interval_s=5.0))
    waits: list[float] = []
    rest = client(sim, sleep=waits.append, rate_limit_penalty_s=7.0)
    rest.kline("EURUSD", 1, 1)
    with pytest.raises(RateLimitError):
        rest.kline("EURUSD", 1, 1)  # an unpaced client is refused with HTTP 429
    with pytest.raises(RateLimitError):
        rest.kline("EURUSD", 1, 1)  # the fake sleep did not really wait
    assert waits and waits[-1] > 6.0  # the next call waited out the penalty first
