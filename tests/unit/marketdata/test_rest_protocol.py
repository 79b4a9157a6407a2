"""Unit tests of the REST envelopes and response handling."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from marketdata.alltick.errors import (
    AuthError,
    CodeRejectedError,
    ProtocolError,
    RateLimitError,
    RequestError,
    RetAction,
    VendorError,
    action_for_ret,
)
from marketdata.alltick.rest_protocol import (
    Endpoint,
    batch_kline_data,
    build_get_url,
    build_post,
    kline_data,
    parse_batch_klines,
    parse_kline_list,
    parse_rest_response,
    parse_trade_ticks,
    symbol_list_data,
)

BAR = {
    "timestamp": "1781164800",
    "open_price": "4100.10",
    "close_price": "4101.91",
    "high_price": "4102.00",
    "low_price": "4099.50",
    "volume": "120.00",
    "turnover": "492000.00",
}


def test_get_url_carries_query_json_and_token() -> None:
    url = build_get_url(
        "https://quote.alltick.co/quote-b-api/",
        Endpoint.KLINE,
        "tok",
        "tr1",
        kline_data("GOLD", 1, 2),
    )
    parts = urlsplit(url)
    assert parts.path == "/quote-b-api/kline"
    query = parse_qs(parts.query)
    assert query["token"] == ["tok"]
    assert json.loads(query["query"][0]) == {
        "trace": "tr1",
        "data": {
            "code": "GOLD",
            "kline_type": 1,
            "kline_timestamp_end": 0,
            "query_kline_num": 2,
            "adjust_type": 0,
        },
    }


def test_post_carries_the_envelope_as_body() -> None:
    url, body = build_post(
        "http://h/quote-b-api",
        Endpoint.BATCH_KLINE,
        "tok",
        "tr",
        batch_kline_data([("GOLD", 8, 2)]),
    )
    assert url == "http://h/quote-b-api/batch-kline?token=tok"
    assert json.loads(body)["data"]["data_list"][0]["query_kline_num"] == 2


@pytest.mark.parametrize("num", [0, 501])
def test_kline_num_is_bounded(num: int) -> None:
    with pytest.raises(ValueError, match="num"):
        kline_data("GOLD", 1, num)


def test_batch_kline_num_is_1_or_2() -> None:
    with pytest.raises(ValueError, match="1 or 2"):
        batch_kline_data([("GOLD", 1, 3)])


def test_symbol_list() -> None:
    assert symbol_list_data(["GOLD", "Silver"]) == {
        "symbol_list": [{"code": "GOLD"}, {"code": "Silver"}]
    }


@pytest.mark.parametrize(
    ("status", "body", "error", "action"),
    [
        (401, '{"msg":"token is required","ret":401}', AuthError, RetAction.STOP),
        (200, '{"ret":401,"msg":"token invalid","trace":"","data":{}}', AuthError, RetAction.STOP),
        (429, '{"error_msg":"Too many requests"}', RateLimitError, RetAction.BACK_OFF),
        (
            200,
            '{"ret":605,"msg":"too many","trace":"","data":{}}',
            RateLimitError,
            RetAction.BACK_OFF,
        ),
        (
            200,
            '{"ret":429,"msg":"too many","trace":"","data":{}}',
            RateLimitError,
            RetAction.BACK_OFF,
        ),
        (
            200,
            '{"ret":600,"msg":"code invalid","trace":"","data":{}}',
            CodeRejectedError,
            RetAction.DROP_CODE,
        ),
        (
            200,
            '{"ret":604,"msg":"no","trace":"","data":{}}',
            CodeRejectedError,
            RetAction.DROP_CODE,
        ),
        (200, '{"ret":601,"msg":"body empty","trace":"","data":{}}', RequestError, RetAction.FAIL),
        (200, '{"ret":402,"msg":"bad query","trace":"","data":{}}', RequestError, RetAction.FAIL),
        (502, "<html>bad gateway</html>", RequestError, RetAction.FAIL),
    ],
)
def test_failed_responses_raise_typed_errors(
    status: int, body: str, error: type[VendorError], action: RetAction
) -> None:
    with pytest.raises(error) as caught:
        parse_rest_response(status, body)
    assert caught.value.action is action


def test_action_for_ok_is_none() -> None:
    assert action_for_ret(200) is None
    assert action_for_ret(606) is RetAction.BACK_OFF


@pytest.mark.parametrize("body", ["nope", "[]", '{"ret":200,"msg":"ok"}', '{"ret":"x","data":{}}'])
def test_unreadable_success_bodies_raise_protocol_error(body: str) -> None:
    with pytest.raises(ProtocolError):
        parse_rest_response(200, body)


def test_kline_list_parses_strings_oldest_first() -> None:
    data = parse_rest_response(
        200,
        json.dumps(
            {
                "ret": 200,
                "msg": "ok",
                "trace": "t",
                "data": {"code": "GOLD", "kline_type": 1, "kline_list": [BAR]},
            }
        ),
    )
    (bar,) = parse_kline_list(data)
    assert bar.close == Decimal("4101.91")
    assert bar.timestamp.timestamp() == 1781164800


def test_batch_klines_by_code() -> None:
    data = {"kline_list": [{"code": "GOLD", "kline_type": 8, "kline_data": [BAR, BAR]}]}
    assert [len(v) for v in parse_batch_klines(data).values()] == [2]


def test_trade_tick_list_with_the_real_gold_capture() -> None:
    capture = {
        "code": "GOLD",
        "seq": "24618487",
        "tick_time": "1781166146694",
        "price": "4101.91",
        "volume": "8.00",
        "turnover": "32815.28",
        "trade_direction": 1,
    }
    (tick,) = parse_trade_ticks({"tick_list": [capture]})
    assert (tick.code, tick.seq, tick.price) == ("GOLD", 24618487, Decimal("4101.91"))
