"""Conformance of the simulator to docs/alltick-protocol.md, with raw websocket-client and requests.

Nothing here uses our client or protocol module: every frame is written from that page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import websocket

from marketdata.simulator import SimLimits, Simulator

TOKEN = "sim-token"
PUSH_KEYS = {"cmd_id", "data"}
ACK_KEYS = {"ret", "msg", "cmd_id", "seq_id", "trace", "data"}


@pytest.fixture
def raw(sim: Simulator) -> Iterator[Callable[..., websocket.WebSocket]]:
    sockets: list[websocket.WebSocket] = []

    def connect(path: str = "/quote-b-ws-api", target: Simulator = sim) -> websocket.WebSocket:
        ws = websocket.create_connection(
            f"ws://{target.host}:{target.port}{path}?token={TOKEN}", timeout=5
        )
        sockets.append(ws)
        return ws

    yield connect
    for ws in sockets:
        ws.close()


def send(ws: websocket.WebSocket, cmd_id: int, seq_id: int, data: dict[str, Any]) -> None:
    ws.send(json.dumps({"cmd_id": cmd_id, "seq_id": seq_id, "trace": f"t{seq_id}", "data": data}))


def recv_until(ws: websocket.WebSocket, pred: Callable[[dict], bool], timeout: float = 5) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = json.loads(ws.recv())
        if pred(message):
            return message
    pytest.fail("no matching frame")


def ack_of(cmd_id: int) -> Callable[[dict], bool]:
    return lambda m: m.get("cmd_id") == cmd_id + 1 and "ret" in m


def push_of(cmd_id: int, code: str | None = None) -> Callable[[dict], bool]:
    return lambda m: m["cmd_id"] == cmd_id and (code is None or m["data"]["code"] == code)


def test_every_request_is_acked_with_the_documented_shape(raw: Callable[..., Any]) -> None:
    ws = raw()
    for seq_id, (cmd_id, data) in enumerate(
        [
            (22000, {}),
            (22002, {"symbol_list": [{"code": "EURUSD", "depth_level": 1}]}),
            (22004, {"symbol_list": [{"code": "GOLD"}]}),
            (22006, {"cancel_type": 0}),
            (22006, {"cancel_type": 3}),
        ],
        start=1,
    ):
        send(ws, cmd_id, seq_id, data)
        ack = recv_until(ws, ack_of(cmd_id))
        assert set(ack) == ACK_KEYS
        assert ack == {
            "ret": 200,
            "msg": "ok",
            "cmd_id": cmd_id + 1,
            "seq_id": seq_id,
            "trace": f"t{seq_id}",
            "data": {},
        }


def test_depth_and_trade_pushes(raw: Callable[..., Any]) -> None:
    ws = raw()
    send(ws, 22002, 1, {"symbol_list": [{"code": "EURUSD"}, {"code": "BTCUSDT", "depth_level": 5}]})
    send(ws, 22004, 2, {"symbol_list": [{"code": "GOLD"}]})
    fx = recv_until(ws, push_of(22999, "EURUSD"))
    assert set(fx) == PUSH_KEYS
    assert set(fx["data"]) == {"code", "seq", "tick_time", "bids", "asks"}
    assert isinstance(fx["data"]["seq"], int) and fx["data"]["tick_time"] > 1e12
    assert len(fx["data"]["bids"]) == len(fx["data"]["asks"]) == 1
    bid, ask = fx["data"]["bids"][0], fx["data"]["asks"][0]
    assert set(bid) == {"price", "volume"} and isinstance(bid["price"], str)
    assert float(bid["price"]) < float(ask["price"])
    crypto = recv_until(ws, push_of(22999, "BTCUSDT"))["data"]
    bids = [float(b["price"]) for b in crypto["bids"]]
    asks = [float(a["price"]) for a in crypto["asks"]]
    assert len(bids) == 5 and bids == sorted(bids, reverse=True) and asks == sorted(asks)
    trade = recv_until(ws, push_of(22998, "GOLD"))
    assert set(trade["data"]) == {
        "code",
        "seq",
        "tick_time",
        "price",
        "volume",
        "turnover",
        "trade_direction",
    }
    assert trade["data"]["trade_direction"] == 1 and isinstance(trade["data"]["price"], str)


def test_subscribe_replaces_and_lists_are_independent(raw: Callable[..., Any]) -> None:
    ws = raw()
    send(ws, 22002, 1, {"symbol_list": [{"code": "EURUSD"}]})
    send(ws, 22004, 2, {"symbol_list": [{"code": "GOLD"}]})
    recv_until(ws, push_of(22999, "EURUSD"))
    send(ws, 22002, 3, {"symbol_list": [{"code": "GBPUSD"}]})
    recv_until(ws, ack_of(22002))
    seen = {(m["cmd_id"], m["data"]["code"]) for m in (json.loads(ws.recv()) for _ in range(40))}
    assert (22999, "EURUSD") not in seen
    assert {(22999, "GBPUSD"), (22998, "GOLD")} <= seen
    send(ws, 22006, 4, {"cancel_type": 1})
    recv_until(ws, ack_of(22006))
    later = [json.loads(ws.recv()) for _ in range(10)]
    assert all(m["cmd_id"] == 22998 for m in later)


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        json.dumps({"cmd_id": 22000, "seq_id": 1, "data": {}}),
        json.dumps({"cmd_id": 22000, "seq_id": 1, "trace": "x" * 65, "data": {}}),
        json.dumps({"cmd_id": 22002, "seq_id": 1, "trace": "t", "data": {"symbol_list": "EURUSD"}}),
        json.dumps({"cmd_id": 22006, "seq_id": 1, "trace": "t", "data": {"cancel_type": 9}}),
    ],
)
def test_malformed_requests_get_cmd_id_0(raw: Callable[..., Any], frame: str) -> None:
    ws = raw()
    ws.send(frame)
    answer = json.loads(ws.recv())
    assert answer["ret"] != 200
    assert (answer["cmd_id"], answer["seq_id"], answer["trace"]) == (0, 0, "")
    assert answer["msg"] in ("request header param invalid", "request data param invalid")


def test_string_and_second_formats(sim: Simulator, raw: Callable[..., Any]) -> None:
    sim.control().set_format("string", "s")
    ws = raw()
    send(ws, 22002, 1, {"symbol_list": [{"code": "EURUSD"}]})
    data = recv_until(ws, push_of(22999))["data"]
    assert data["seq"].isdigit() and data["tick_time"].isdigit() and int(data["tick_time"]) < 1e11


def test_stock_path_serves_stocks_only(raw: Callable[..., Any]) -> None:
    ws = raw("/quote-stock-b-ws-api")
    send(ws, 22002, 1, {"symbol_list": [{"code": "AAPL.US"}, {"code": "EURUSD"}]})
    recv_until(ws, ack_of(22002))
    codes = {json.loads(ws.recv())["data"]["code"] for _ in range(5)}
    assert codes == {"AAPL.US"}


def test_upgrade_needs_the_token(sim: Simulator) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        websocket.create_connection(f"ws://{sim.host}:{sim.port}/quote-b-ws-api", timeout=5)
    assert caught.value.status_code == 401
    assert json.loads(caught.value.resp_body) == {"msg": "token is required", "ret": 401}


def test_upgrade_refused_with_429(sim: Simulator) -> None:
    sim.control().refuse(True, 429)
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        websocket.create_connection(
            f"ws://{sim.host}:{sim.port}/quote-b-ws-api?token={TOKEN}", timeout=5
        )
    assert caught.value.status_code == 429


def test_heartbeat_timeout_closes(start_sim: Callable[..., Simulator]) -> None:
    sim = start_sim(heartbeat_timeout_s=0.3)
    ws = websocket.create_connection(
        f"ws://{sim.host}:{sim.port}/quote-b-ws-api?token={TOKEN}", timeout=5
    )
    opcode, _ = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE


def test_plan_limits(start_sim: Callable[..., Simulator]) -> None:
    sim = start_sim(
        limits=SimLimits(connections=1, symbols_per_connection=2, request_spacing_s=1.0)
    )
    url = f"ws://{sim.host}:{sim.port}/quote-b-ws-api?token={TOKEN}"
    ws = websocket.create_connection(url, timeout=5)
    send(ws, 22002, 1, {"symbol_list": [{"code": c} for c in ("EURUSD", "GBPUSD", "USDJPY")]})
    recv_until(ws, ack_of(22002))
    assert sim.control().state()["connections"][0]["depth"] == ["EURUSD", "GBPUSD"]
    extra = websocket.create_connection(url, timeout=5)  # beyond the plan: accepted, then closed
    assert extra.recv_data(control_frame=True)[0] == websocket.ABNF.OPCODE_CLOSE
    send(ws, 22004, 2, {"symbol_list": [{"code": "GOLD"}]})  # within 1 s of the last request
    ack = recv_until(ws, ack_of(22004))
    assert (ack["ret"], ack["msg"]) == (606, "too many requests and connection will be closed")
    with pytest.raises(websocket.WebSocketConnectionClosedException):
        for _ in range(100):
            ws.recv()


def rest_get(
    sim: Simulator, path: str, data: dict[str, Any], token: str | None = TOKEN
) -> requests.Response:
    params = {"query": json.dumps({"trace": "tr", "data": data})}
    if token:
        params["token"] = token
    return requests.get(f"{sim.rest_url()}{path}?{urlencode(params)}", timeout=5)


def test_rest_kline_shapes(sim: Simulator) -> None:
    response = rest_get(
        sim,
        "/kline",
        {
            "code": "GOLD",
            "kline_type": 1,
            "kline_timestamp_end": 0,
            "query_kline_num": 3,
            "adjust_type": 0,
        },
    )
    body = response.json()
    assert response.status_code == 200 and (body["ret"], body["msg"], body["trace"]) == (
        200,
        "ok",
        "tr",
    )
    assert body["data"]["code"] == "GOLD" and body["data"]["kline_type"] == 1
    bars = body["data"]["kline_list"]
    assert len(bars) == 3
    keys = {
        "timestamp",
        "open_price",
        "close_price",
        "high_price",
        "low_price",
        "volume",
        "turnover",
    }
    assert all(set(b) == keys and all(isinstance(v, str) for v in b.values()) for b in bars)
    assert [int(b["timestamp"]) for b in bars] == sorted(int(b["timestamp"]) for b in bars)


def test_rest_ticks_are_strings(sim: Simulator) -> None:
    trade = rest_get(sim, "/trade-tick", {"symbol_list": [{"code": "GOLD"}]}).json()["data"][
        "tick_list"
    ][0]
    assert all(
        isinstance(trade[k], str) for k in ("seq", "tick_time", "price", "volume", "turnover")
    )
    assert trade["trade_direction"] == 1
    depth = rest_get(sim, "/depth-tick", {"symbol_list": [{"code": "EURUSD"}]}).json()["data"][
        "tick_list"
    ][0]
    assert set(depth) == {"code", "seq", "tick_time", "bids", "asks"} and isinstance(
        depth["seq"], str
    )


def test_rest_batch_kline(sim: Simulator) -> None:
    url = f"{sim.rest_url()}/batch-kline?token={TOKEN}"
    item = {
        "code": "EURUSD",
        "kline_type": 8,
        "kline_timestamp_end": 0,
        "query_kline_num": 2,
        "adjust_type": 0,
    }
    body = requests.post(url, json={"trace": "b", "data": {"data_list": [item]}}, timeout=5).json()
    (entry,) = body["data"]["kline_list"]
    assert (entry["code"], entry["kline_type"], len(entry["kline_data"])) == ("EURUSD", 8, 2)
    assert requests.post(url, data="", timeout=5).json()["ret"] == 601


@pytest.mark.parametrize(
    ("path", "query", "ret"),
    [
        ("/quote-b-api/kline", {"code": "XAUUSD", "kline_type": 1, "query_kline_num": 1}, 600),
        (
            "/quote-stock-b-api/kline",
            {"code": "EURUSD", "kline_type": 1, "query_kline_num": 1},
            600,
        ),
        ("/quote-b-api/kline", {"code": "GOLD", "kline_type": 99, "query_kline_num": 1}, 400),
        ("/quote-b-api/trade-tick", None, 402),
    ],
)
def test_rest_ret_codes(sim: Simulator, path: str, query: dict | None, ret: int) -> None:
    params = {"token": TOKEN}
    if query is not None:
        params["query"] = json.dumps({"trace": "x", "data": query})
    response = requests.get(f"http://{sim.host}:{sim.port}{path}?{urlencode(params)}", timeout=5)
    assert response.status_code == 200 and response.json()["ret"] == ret


def test_rest_token_gate(sim: Simulator) -> None:
    response = rest_get(sim, "/trade-tick", {"symbol_list": [{"code": "GOLD"}]}, token=None)
    assert response.status_code == 401
    assert response.json() == {"msg": "token is required", "ret": 401}
    assert (
        rest_get(sim, "/trade-tick", {"symbol_list": [{"code": "GOLD"}]}, token="bad").json()["ret"]
        == 401
    )


def test_rest_rate_limit_is_http_429(start_sim: Callable[..., Simulator]) -> None:
    sim = start_sim(limits=SimLimits(rest_interval_s=5.0))
    data = {"symbol_list": [{"code": "GOLD"}]}
    assert rest_get(sim, "/trade-tick", data).status_code == 200
    assert rest_get(sim, "/depth-tick", data).status_code == 200  # another endpoint is fine
    second = rest_get(sim, "/trade-tick", data)
    assert second.status_code == 429 and second.json() == {"error_msg": "Too many requests"}
