"""Unit tests of the WebSocket frames: builders, parsers and quote checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketdata.alltick.models import DropReason
from marketdata.alltick.protocol import (
    Ack,
    CancelType,
    DepthTick,
    ProtocolError,
    TradeTick,
    build_cancel,
    build_heartbeat,
    build_subscribe_depth,
    build_subscribe_trades,
    check_depth,
    mask_token,
    parse_frame,
)

GOLD_CAPTURE = {
    "code": "GOLD",
    "seq": "24618487",
    "tick_time": "1781166146694",
    "price": "4101.91",
    "volume": "8.00",
    "turnover": "32815.28",
    "trade_direction": 1,
}


def depth_push(**overrides: object) -> str:
    data: dict[str, object] = {
        "code": "EURUSD",
        "seq": 7,
        "tick_time": 1781166146694,
        "bids": [{"price": "1.16001", "volume": "1000000"}],
        "asks": [{"price": "1.16009", "volume": "0"}],
    }
    data.update(overrides)
    return json.dumps({"cmd_id": 22999, "data": data})


@pytest.mark.parametrize(
    ("frame", "cmd_id", "data"),
    [
        (build_heartbeat(1, "t1"), 22000, {}),
        (
            build_subscribe_depth(2, "t2", ["EURUSD", "GOLD"]),
            22002,
            {
                "symbol_list": [
                    {"code": "EURUSD", "depth_level": 1},
                    {"code": "GOLD", "depth_level": 1},
                ]
            },
        ),
        (build_subscribe_trades(3, "t3", ["GOLD"]), 22004, {"symbol_list": [{"code": "GOLD"}]}),
        (build_cancel(4, "t4", CancelType.ALL), 22006, {"cancel_type": 0}),
        (build_cancel(5, "t5", CancelType.TRADE), 22006, {"cancel_type": 2}),
    ],
)
def test_requests_carry_the_four_envelope_fields(frame: str, cmd_id: int, data: dict) -> None:
    message = json.loads(frame)
    assert set(message) == {"cmd_id", "seq_id", "trace", "data"}
    assert message["cmd_id"] == cmd_id
    assert message["data"] == data


def test_trace_longer_than_64_is_refused() -> None:
    with pytest.raises(ValueError, match="trace"):
        build_heartbeat(1, "x" * 65)


@pytest.mark.parametrize(
    ("seq", "tick_time"),
    [(7, 1781166146694), ("7", "1781166146694"), (7, 1781166146), ("7", "1781166146")],
)
def test_depth_push_accepts_ints_strings_and_seconds(seq: object, tick_time: object) -> None:
    tick = parse_frame(depth_push(seq=seq, tick_time=tick_time))
    assert isinstance(tick, DepthTick)
    assert tick.seq == 7
    assert tick.tick_time.replace(microsecond=0) == datetime(2026, 6, 11, 8, 22, 26, tzinfo=UTC)
    assert tick.best_bid == Decimal("1.16001")
    assert tick.best_ask == Decimal("1.16009")
    assert tick.asks[0].volume == Decimal("0")


def test_milliseconds_are_kept_exactly() -> None:
    tick = parse_frame(depth_push(tick_time=1781166146694))
    assert isinstance(tick, DepthTick)
    assert tick.tick_time.microsecond == 694_000


def test_depth_push_with_an_empty_side_has_no_best_price() -> None:
    tick = parse_frame(depth_push(asks=[]))
    assert isinstance(tick, DepthTick)
    assert tick.best_ask is None
    assert check_depth(tick) is None


def test_real_gold_capture_parses_as_a_trade_push() -> None:
    tick = parse_frame(json.dumps({"cmd_id": 22998, "data": GOLD_CAPTURE}))
    assert tick == TradeTick(
        code="GOLD",
        seq=24618487,
        tick_time=datetime(2026, 6, 11, 8, 22, 26, 694000, tzinfo=UTC),
        price=Decimal("4101.91"),
        volume=Decimal("8.00"),
        turnover=Decimal("32815.28"),
        trade_direction=1,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"ret":200,"msg":"ok","cmd_id":22003,"seq_id":9,"trace":"abc","data":{}}',
            Ack(22003, 9, "abc", 200, "ok"),
        ),
        (
            '{"ret":400,"msg":"request header param invalid","cmd_id":0,"seq_id":0,'
            '"trace":"","data":{}}',
            Ack(0, 0, "", 400, "request header param invalid"),
        ),
        (
            '{"ret":606,"msg":"too many requests and connection will be closed","cmd_id":22005,'
            '"seq_id":3,"trace":"t","data":{}}',
            Ack(22005, 3, "t", 606, "too many requests and connection will be closed"),
        ),
    ],
)
def test_responses_parse_as_acks(text: str, expected: Ack) -> None:
    assert parse_frame(text) == expected
    assert expected.ok is (expected.ret == 200)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"data": {}}',
        '{"cmd_id": 22999}',
        '{"cmd_id": 12345, "data": {}}',
        depth_push(seq="7a"),
        depth_push(seq=True),
        depth_push(tick_time=-5),
        depth_push(bids=[{"price": "abc", "volume": "1"}]),
        depth_push(bids=[{"price": "NaN", "volume": "1"}]),
        depth_push(bids=[{"volume": "1"}]),
        depth_push(bids="1.1"),
        depth_push(code=5),
        json.dumps({"cmd_id": 22998, "data": {**GOLD_CAPTURE, "price": None}}),
    ],
)
def test_malformed_frames_raise_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse_frame(text)


@pytest.mark.parametrize(
    ("bid", "ask", "reason"),
    [
        ("1.1", "1.2", None),
        ("1.2", "1.2", DropReason.CROSSED),
        ("1.3", "1.2", DropReason.CROSSED),
        ("0", "1.2", DropReason.NON_POSITIVE),
        ("-1", "1.2", DropReason.NON_POSITIVE),
    ],
)
def test_check_depth(bid: str, ask: str, reason: DropReason | None) -> None:
    tick = parse_frame(
        depth_push(bids=[{"price": bid, "volume": "1"}], asks=[{"price": ask, "volume": "1"}])
    )
    assert isinstance(tick, DepthTick)
    assert check_depth(tick) is reason


@given(seq=st.integers(0, 2**53), as_string=st.booleans())
def test_seq_round_trips_as_int_or_string(seq: int, as_string: bool) -> None:
    tick = parse_frame(depth_push(seq=str(seq) if as_string else seq))
    assert isinstance(tick, DepthTick)
    assert tick.seq == seq


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("wss://h/quote-b-ws-api?token=abc123", "wss://h/quote-b-ws-api?token=***"),
        ("https://h/kline?token=abc&query=%7B%7D", "https://h/kline?token=***&query=%7B%7D"),
        ("https://h/kline?query=1&token=abc", "https://h/kline?query=1&token=***"),
        ("https://h/kline", "https://h/kline"),
    ],
)
def test_mask_token(url: str, masked: str) -> None:
    assert mask_token(url) == masked
