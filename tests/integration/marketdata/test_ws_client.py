"""Our AlltickStream against our simulator over real sockets."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from marketdata.alltick.models import DepthTick, TradeTick
from marketdata.alltick.ws_client import AlltickStream
from marketdata.simulator import SimLimits, Simulator
from marketdata.simulator.control_client import ControlClient

StartStream = Callable[..., tuple[AlltickStream, Any]]
Wait = Callable[..., Any]


def ctl(sim: Simulator) -> ControlClient:
    return sim.control()


def test_subscribe_ack_and_pushes(sim: Simulator, start_stream: StartStream) -> None:
    stream, rec = start_stream(sim, depth=("EURUSD", "GOLD"), trades=("GOLD",))
    rec.wait_ticks(0, "EURUSD", 3)
    rec.wait_ticks(0, "GOLD", 3)
    rec.wait_ticks(0, "GOLD", 3, TradeTick)
    depth = rec.since(0, "EURUSD", DepthTick)[-1]
    assert depth.best_bid is not None and depth.best_ask is not None
    assert Decimal("0.9") < depth.best_bid < depth.best_ask < Decimal("1.5")
    (conn,) = ctl(sim).state()["connections"]
    assert (conn["depth"], conn["trades"]) == (["EURUSD", "GOLD"], ["GOLD"])
    assert stream.counters().failed_acks == 0


def test_adding_a_code_resends_the_full_list(sim: Simulator, start_stream: StartStream) -> None:
    stream, rec = start_stream(sim, depth=("EURUSD",))
    rec.wait_ticks(0, "EURUSD")
    stream.subscribe_depth(["GBPUSD"])
    rec.wait_ticks(0, "GBPUSD")
    mark = rec.mark()
    rec.wait_ticks(mark, "EURUSD", 2)  # the first code survived the replacing subscribe
    rec.wait_ticks(mark, "GBPUSD", 2)
    assert ctl(sim).state()["connections"][0]["depth"] == ["EURUSD", "GBPUSD"]


def test_unsubscribing_the_last_code_cancels(
    sim: Simulator, start_stream: StartStream, wait_until: Wait
) -> None:
    stream, rec = start_stream(sim, depth=("EURUSD",))
    rec.wait_ticks(0, "EURUSD")
    stream.unsubscribe_depth(["EURUSD"])
    wait_until(lambda: ctl(sim).state()["connections"][0]["depth"] == [], 5, "cancel")


def test_heartbeat_keeps_the_connection_past_the_timeout(
    start_sim: Callable[..., Simulator], start_stream: StartStream, wait_until: Wait
) -> None:
    sim = start_sim(heartbeat_timeout_s=0.8)
    stream, _ = start_stream(sim, heartbeat_interval=0.2)
    # 8 acked heartbeats span at least 1.4 s: well past the 0.8 s timeout.
    wait_until(lambda: stream.counters().heartbeat_acks >= 8, 10, "8 heartbeat acks")
    assert stream.counters().connects == 1
    assert ctl(sim).state()["stats"].get("closed_heartbeat_timeout", 0) == 0


def test_missing_heartbeat_gets_closed_and_the_client_reconnects(
    start_sim: Callable[..., Simulator], start_stream: StartStream, wait_until: Wait
) -> None:
    sim = start_sim(heartbeat_timeout_s=0.4)
    stream, rec = start_stream(sim, heartbeat_interval=60.0)
    wait_until(lambda: stream.counters().connects >= 2, 5, "a reconnect")
    assert ctl(sim).state()["stats"]["closed_heartbeat_timeout"] >= 1
    mark = rec.mark()
    rec.wait_ticks(mark, "EURUSD")


def test_read_timeout_drops_a_silent_socket(
    sim: Simulator, start_stream: StartStream, wait_until: Wait
) -> None:
    ctl(sim).stale("EURUSD")
    stream, _ = start_stream(sim, heartbeat_interval=60.0, read_timeout=0.3)
    wait_until(lambda: stream.counters().read_timeouts >= 1, 5, "a read timeout")
    wait_until(lambda: stream.counters().connects >= 2, 5, "a reconnect")


def test_dropped_connection_reconnects_and_resubscribes(
    sim: Simulator, start_stream: StartStream, wait_until: Wait
) -> None:
    stream, rec = start_stream(sim, depth=("EURUSD", "GOLD"), trades=("GOLD",))
    rec.wait_ticks(0, "EURUSD")
    assert ctl(sim).drop()["dropped"] == 1
    wait_until(lambda: stream.counters().connects >= 2, 5, "a reconnect")
    mark = rec.mark()
    rec.wait_ticks(mark, "EURUSD", 2)
    rec.wait_ticks(mark, "GOLD", 2)
    rec.wait_ticks(mark, "GOLD", 2, TradeTick)
    assert stream.counters().reconnects >= 1


def _reconnect_delays(caplog: pytest.LogCaptureFixture) -> list[float]:
    found = (re.search(r"delay_s=([\d.]+)", r.getMessage()) for r in caplog.records)
    return [float(m.group(1)) for m in found if m]


def test_upgrade_refused_with_429_backs_off(
    sim: Simulator, start_stream: StartStream, caplog: pytest.LogCaptureFixture, wait_until: Wait
) -> None:
    caplog.set_level(logging.INFO, logger="marketdata.alltick.ws_client")
    stream, rec = start_stream(sim)
    rec.wait_ticks(0, "EURUSD")
    ctl(sim).refuse(True, 429)
    ctl(sim).drop()
    wait_until(lambda: stream.counters().rate_limited >= 2, 10, "two refusals")
    delays = _reconnect_delays(caplog)
    # The floor is 0.05 s; a refusal skips two doubling steps, so the wait after it is >= 0.4 s.
    assert delays[0] >= 0.05
    assert max(delays[1:]) >= 0.4
    ctl(sim).refuse(False)
    mark = rec.mark()
    rec.wait_ticks(mark, "EURUSD")


def test_606_closes_and_backs_off(
    start_sim: Callable[..., Simulator],
    start_stream: StartStream,
    caplog: pytest.LogCaptureFixture,
    wait_until: Wait,
) -> None:
    caplog.set_level(logging.INFO, logger="marketdata.alltick.ws_client")
    limits = SimLimits(connections=5, request_spacing_s=0.5, cross_connection_spacing_s=0.0)
    sim = start_sim(limits=limits)
    # Our client set to break the server's spacing: depth and trade subscribes back to back.
    stream, _ = start_stream(sim, depth=("EURUSD",), trades=("GOLD",), request_spacing=0.0)
    wait_until(lambda: stream.counters().rate_limited >= 1, 5, "a 606")
    wait_until(lambda: stream.counters().connects >= 2, 5, "a reconnect")
    assert ctl(sim).state()["stats"]["rejected_606"] >= 1
    assert max(_reconnect_delays(caplog)) >= 0.2  # two skipped steps: 4x the 0.05 s floor


def test_pacing_keeps_inside_the_servers_spacing(
    start_sim: Callable[..., Simulator], start_stream: StartStream, wait_until: Wait
) -> None:
    limits = SimLimits(connections=1, request_spacing_s=0.2, cross_connection_spacing_s=0.0)
    sim = start_sim(limits=limits)
    stream, rec = start_stream(
        sim, depth=("EURUSD",), trades=("GOLD",), request_spacing=0.25, heartbeat_interval=0.1
    )
    wait_until(lambda: stream.counters().heartbeat_acks >= 3, 10, "3 heartbeat acks")
    stream.subscribe_depth(["GBPUSD"])
    rec.wait_ticks(0, "GBPUSD")
    rec.wait_ticks(0, "GOLD", 1, TradeTick)
    assert stream.counters().rate_limited == 0
    assert ctl(sim).state()["stats"].get("rejected_606", 0) == 0


def test_bad_pushes_are_dropped_and_counted(
    sim: Simulator, start_stream: StartStream, wait_until: Wait
) -> None:
    stream, rec = start_stream(sim, depth=("EURUSD",))
    rec.wait_ticks(0, "EURUSD")
    for kind in ("malformed", "crossed", "non_positive", "out_of_order"):
        assert ctl(sim).inject("EURUSD", kind)["sent"] == 1

    def all_counted() -> bool:
        c = stream.counters()
        return min(c.dropped_malformed, c.dropped_crossed, c.dropped_nonpositive) >= 1 and (
            c.dropped_stale >= 1
        )

    wait_until(all_counted, 5, "four drops")
    delivered = rec.since(0, "EURUSD", DepthTick)
    assert all(0 < t.best_bid < t.best_ask for t in delivered)
    keys = [t.order_key for t in delivered]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("numbers", "time_unit"), [("string", "ms"), ("int", "s"), ("string", "s"), ("int", "ms")]
)
def test_ints_strings_and_seconds_all_parse(
    sim: Simulator, start_stream: StartStream, numbers: str, time_unit: str, wait_until: Wait
) -> None:
    stream, rec = start_stream(sim, depth=("EURUSD",), trades=("EURUSD",))
    rec.wait_ticks(0, "EURUSD")
    ctl(sim).set_format(numbers, time_unit)
    mark = rec.mark()
    whole_seconds = time_unit == "s"

    def switched() -> bool:
        ticks = rec.since(mark, "EURUSD")
        return (
            any((t.tick_time.microsecond == 0) == whole_seconds for t in ticks[-3:])
            and len(ticks) >= 3
        )

    wait_until(switched, 5, "ticks in the new format")
    assert stream.counters().dropped_malformed == 0


def test_stale_code_stops_while_others_flow(sim: Simulator, start_stream: StartStream) -> None:
    _, rec = start_stream(sim, depth=("EURUSD", "GOLD"))
    rec.wait_ticks(0, "GOLD")
    ctl(sim).stale("GOLD")
    rec.wait_ticks(rec.mark(), "EURUSD", 3)  # anything GOLD already in flight has landed
    mark = rec.mark()
    rec.wait_ticks(mark, "EURUSD", 10)
    assert rec.since(mark, "GOLD") == []
    ctl(sim).stale("GOLD", False)
    rec.wait_ticks(mark, "GOLD")


def test_set_price_moves_the_quote(
    sim: Simulator, start_stream: StartStream, wait_until: Wait
) -> None:
    _, rec = start_stream(sim, depth=("GOLD",))
    rec.wait_ticks(0, "GOLD")
    ctl(sim).price("GOLD", "5000.00", hold=True)
    wait_until(
        lambda: any(t.best_bid == Decimal("4999.87") for t in rec.since(0, "GOLD")),
        5,
        "GOLD at 5000",
    )


def test_rejected_code_is_dropped_with_an_alert(
    start_sim: Callable[..., Simulator], start_stream: StartStream
) -> None:
    sim = start_sim(unknown_codes="error")
    stream, rec = start_stream(sim, depth=("EURUSD",))
    rec.wait_ticks(0, "EURUSD")
    stream.subscribe_depth(["XAUUSD"])  # our symbol, not the vendor's code
    reason, detail = rec.wait_alert()
    assert reason == "code_rejected" and "XAUUSD" in detail
    assert stream.subscriptions()[0] == frozenset({"EURUSD"})
    mark = rec.mark()
    rec.wait_ticks(mark, "EURUSD", 2)


def test_wrong_token_stops_with_an_alert(sim: Simulator, start_stream: StartStream) -> None:
    stream, rec = start_stream(sim, token="wrong")
    reason, detail = rec.wait_alert()
    assert reason == "auth"
    assert "wrong" not in detail  # the token is masked
    assert stream.stopped_by_vendor


def test_fast_mode_and_reset(sim: Simulator, start_stream: StartStream) -> None:
    _, rec = start_stream(sim, depth=("EURUSD",))
    rec.wait_ticks(0, "EURUSD")
    ctl(sim).fast(True, None)
    rec.wait_ticks(rec.mark(), "EURUSD", 500)  # about 40 s of ticks at the normal rate
    ctl(sim).reset()
    assert ctl(sim).state()["faults"]["fast"] is False
