"""Unit tests of which pushes reach the consumer and how drops are counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from marketdata.alltick.gate import Counters, TickGate
from marketdata.alltick.models import Ack, DepthTick, PriceLevel, TradeTick
from marketdata.alltick.ws_requests import SubscriptionBook

T0 = datetime(2026, 6, 11, tzinfo=UTC)


def depth(
    seq: int, ms: int = 0, bid: str = "1.1", ask: str = "1.2", code: str = "EURUSD"
) -> DepthTick:
    level = lambda p: (PriceLevel(Decimal(p), Decimal(1)),)  # noqa: E731
    return DepthTick(code, seq, T0 + timedelta(milliseconds=ms), level(bid), level(ask))


def trade(seq: int, ms: int = 0, price: str = "1.15") -> TradeTick:
    p = Decimal(price)
    return TradeTick("EURUSD", seq, T0 + timedelta(milliseconds=ms), p, Decimal(1), p, 1)


def test_gate_orders_by_tick_time_then_seq_per_code_and_type() -> None:
    counters = Counters()
    gate = TickGate(counters)
    admitted = [
        gate.admit(depth(5, 10)),
        gate.admit(depth(6, 10)),  # same time, higher seq
        gate.admit(depth(6, 10)),  # duplicate
        gate.admit(depth(9, 5)),  # older time, whatever the seq
        gate.admit(depth(1, 5, code="GOLD")),  # another code orders alone
        gate.admit(trade(1, 0)),  # trades order apart from depth
        gate.admit(depth(7, 11)),
    ]
    assert admitted == [True, True, False, False, True, True, True]
    snap = counters.snapshot()
    assert (snap.ticks, snap.depth_ticks, snap.trade_ticks, snap.dropped_stale) == (5, 4, 1, 2)


def test_gate_drops_crossed_and_non_positive_without_touching_the_order() -> None:
    counters = Counters()
    gate = TickGate(counters)
    assert not gate.admit(depth(5, 10, bid="1.2", ask="1.1"))
    assert not gate.admit(depth(6, 10, bid="0"))
    assert not gate.admit(trade(1, 0, price="0"))
    assert gate.admit(depth(1, 1))  # the dropped ticks did not move the last-seen key
    snap = counters.snapshot()
    assert (snap.dropped_crossed, snap.dropped_nonpositive, snap.ticks) == (1, 2, 1)


def test_subscription_book_sends_full_lists_and_names_suspects() -> None:
    book = SubscriptionBook()
    book.add("depth", ["EURUSD", "GOLD"])
    first = book.build("depth")
    assert '"code":"EURUSD"' in first and '"code":"GOLD"' in first
    book.acknowledge(Ack(22003, 1, "t", 200, "ok"))
    book.add("depth", ["XAUUSD"])
    book.build("depth")
    request = book.acknowledge(Ack(22003, 2, "t", 600, "code invalid"))
    assert request is not None
    assert request.suspects == frozenset({"XAUUSD"})


def test_subscription_book_cancels_an_emptied_list_and_forgets_acks_on_reconnect() -> None:
    book = SubscriptionBook()
    book.add("trade", ["GOLD"])
    assert book.kinds_to_resubscribe() == ["trade"]
    book.remove("trade", ["GOLD"])
    assert '"cmd_id":22006' in book.build("trade")
    assert book.kinds_to_resubscribe() == []
