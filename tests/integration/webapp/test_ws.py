"""The /ws relay with a real WebSocket client against the real server, Redis and PostgreSQL."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from unittest.mock import ANY

import pytest
import redis
import websocket
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token

from models import User, db
from tests.helpers import kill_subscribers, new_trader
from tests.quotes import CHANNELS, put_market, put_quote
from tests.server import serve
from webapp.auth import Principal


@pytest.fixture
def ws_base(app: Flask) -> Iterator[str]:
    with serve(app) as base:
        yield base.replace("http://", "ws://")


@pytest.fixture
def open_ws(ws_base: str) -> Iterator[Callable[..., websocket.WebSocket]]:
    sockets: list[websocket.WebSocket] = []

    def connect(query: str, **options: Any) -> websocket.WebSocket:
        ws = websocket.create_connection(f"{ws_base}/ws?{query}", timeout=5, **options)
        sockets.append(ws)
        return ws

    yield connect
    for ws in sockets:
        ws.close()


def receive(ws: websocket.WebSocket, timeout: float = 5.0) -> dict[str, Any]:
    ws.settimeout(timeout)
    message: dict[str, Any] = json.loads(ws.recv())
    return message


def receive_until(ws: websocket.WebSocket, kind: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Return every message up to and including the first of `kind`."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = receive(ws, max(deadline - time.monotonic(), 0.01))
        seen.append(message)
        if message["type"] == kind:
            return seen
    pytest.fail(f"no {kind} message within {timeout}s; saw {[m['type'] for m in seen]}")


def refused_status(connect: Callable[..., Any], query: str, **options: Any) -> int:
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        connect(query, **options)
    return int(refused.value.status_code)


def test_upgrade_refused_without_a_valid_token(
    app: Flask, client: FlaskClient, open_ws: Callable[..., Any]
) -> None:
    trader = new_trader(client)
    with app.app_context():
        user = db.session.query(User).filter_by(username=trader["username"]).one()
        identity = Principal(user.id, user.role, None)
        expired = create_access_token(identity=identity, expires_delta=timedelta(seconds=-1))
    assert refused_status(open_ws, "") == 401
    assert refused_status(open_ws, "token=not-a-jwt") == 401
    assert refused_status(open_ws, f"token={expired}") == 401
    assert refused_status(open_ws, f"token={trader['refresh_token']}") == 401
    assert refused_status(open_ws, "ticket=made-up") == 401
    origin = {"origin": "https://evil.example"}
    assert refused_status(open_ws, f"token={trader['access_token']}", **origin) == 403
    client.post("/api/auth/logout", headers=trader["headers"])
    assert refused_status(open_ws, f"token={trader['access_token']}") == 401


def test_snapshot_first_then_order_events_with_consecutive_sequence(
    client: FlaskClient, redis_client: redis.Redis, open_ws: Callable[..., Any]
) -> None:
    put_market(redis_client)
    trader = new_trader(client)
    ws = open_ws(f"token={trader['access_token']}")
    snapshot = receive(ws)
    assert snapshot["type"] == "snapshot"
    start = snapshot["data"]["seq"]
    assert snapshot["data"]["account"]["txn_seq"] == start
    assert snapshot["data"]["positions"] == []

    for expected_seq in (start + 1, start + 2):
        placed = client.post(
            "/api/orders", json={"symbol": "EURUSD", "side": "BUY", "lots": 0.1},
            headers=trader["headers"],
        )  # fmt: skip
        assert placed.status_code == 201
        events = receive_until(ws, "account.updated")
        assert [e["type"] for e in events] == [
            "order.filled",
            "position.changed",
            "account.updated",
        ]
        assert {e["data"]["seq"] for e in events} == {expected_seq}
    assert events[1]["data"]["position"]["lots"] == "0.20"


def test_users_never_see_each_others_events(
    client: FlaskClient, redis_client: redis.Redis, open_ws: Callable[..., Any]
) -> None:
    put_market(redis_client)
    alice, bob = new_trader(client), new_trader(client)
    alice_ws = open_ws(f"token={alice['access_token']}")
    bob_ws = open_ws(f"token={bob['access_token']}")
    receive(alice_ws), receive(bob_ws)
    client.post("/api/orders", json={"symbol": "EURUSD", "side": "BUY", "lots": 0.1},
                headers=bob["headers"])  # fmt: skip
    client.post("/api/orders", json={"symbol": "USDJPY", "side": "SELL", "lots": 0.2},
                headers=alice["headers"])  # fmt: skip
    alice_events = receive_until(alice_ws, "account.updated")
    assert alice_events[0]["data"]["order"]["symbol"] == "USDJPY"
    bob_events = receive_until(bob_ws, "account.updated")
    assert bob_events[0]["data"]["order"]["symbol"] == "EURUSD"
    account_ids = {e["data"]["account_id"] for e in alice_events}
    assert len(account_ids) == 1


def test_quotes_only_for_subscribed_symbols(
    client: FlaskClient, redis_client: redis.Redis, open_ws: Callable[..., Any]
) -> None:
    trader = new_trader(client)
    ws = open_ws(f"token={trader['access_token']}")
    receive(ws)
    ws.send(json.dumps({"type": "subscribe", "symbols": ["EURUSD"]}))
    assert receive(ws) == {**receive_shape(), "type": "subscribed", "data": {"symbols": ["EURUSD"]}}
    put_quote(redis_client, "GBPUSD", "1.30000", "1.30002")
    put_quote(redis_client, "EURUSD", "1.10010", "1.10012")
    quote = receive(ws)
    assert quote["type"] == "quote"
    assert quote["data"]["symbol"] == "EURUSD"
    assert quote["data"]["bid"] == "1.10005"
    ws.send(json.dumps({"type": "unsubscribe", "symbols": ["EURUSD"]}))
    assert receive(ws)["data"] == {"symbols": []}
    put_quote(redis_client, "EURUSD", "1.10020", "1.10022")
    ws.send(json.dumps({"type": "ping"}))
    assert receive(ws)["type"] == "pong"


def receive_shape() -> dict[str, Any]:
    """Match any `ts` (the envelope's time): equality below compares the rest."""
    return {"ts": ANY}


def test_malformed_and_unknown_messages_get_errors(
    client: FlaskClient, open_ws: Callable[..., Any]
) -> None:
    trader = new_trader(client)
    ws = open_ws(f"token={trader['access_token']}")
    receive(ws)
    for raw, code in [
        ("not json", "BAD_MESSAGE"),
        ("[1, 2]", "BAD_MESSAGE"),
        ('{"type": "dance"}', "UNKNOWN_TYPE"),
        ('{"type": "subscribe", "symbols": "EURUSD"}', "BAD_MESSAGE"),
        ('{"type": "subscribe", "symbols": ["NOPE"]}', "UNKNOWN_SYMBOL"),
    ]:
        ws.send(raw)
        reply = receive(ws)
        assert reply["type"] == "error"
        assert reply["data"]["error_code"] == code
    ws.send(json.dumps({"type": "snapshot"}))
    assert receive(ws)["type"] == "snapshot"


def _closed_with(ws: websocket.WebSocket, timeout: float) -> int | None:
    """Read until the server closes; return its close code (None if it did not close)."""
    ws.settimeout(timeout)
    try:
        while True:
            opcode, frame = ws.recv_data_frame(True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(frame.data[:2], "big") if frame.data else 1005
    except websocket.WebSocketTimeoutException:
        return None
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        return 1006


def test_oversized_frame_and_flood_close_the_socket(
    client: FlaskClient, open_ws: Callable[..., Any]
) -> None:
    trader = new_trader(client)
    big = open_ws(f"token={trader['access_token']}")
    receive(big)
    big.send(json.dumps({"type": "ping", "pad": "x" * 10_000}))
    assert _closed_with(big, 5) is not None

    flood = open_ws(f"token={trader['access_token']}")
    receive(flood)
    for _ in range(50):
        flood.send('{"type": "ping"}')
    assert _closed_with(flood, 5) == 1008


def test_logout_closes_the_socket_within_two_seconds(
    client: FlaskClient, open_ws: Callable[..., Any]
) -> None:
    trader = new_trader(client)
    ws = open_ws(f"token={trader['access_token']}")
    receive(ws)
    client.post("/api/auth/logout", headers=trader["headers"])
    assert _closed_with(ws, 2.0) == 1008


def test_ticket_opens_once(client: FlaskClient, open_ws: Callable[..., Any]) -> None:
    trader = new_trader(client)
    ticket = client.post("/api/ws/ticket", headers=trader["headers"]).get_json()["ticket"]
    ws = open_ws(f"ticket={ticket}")
    assert receive(ws)["type"] == "snapshot"
    assert refused_status(open_ws, f"ticket={ticket}") == 401


def test_a_client_that_stops_reading_is_closed_while_others_receive(
    client: FlaskClient, redis_client: redis.Redis, open_ws: Callable[..., Any]
) -> None:
    stalled, watcher = new_trader(client), new_trader(client)
    small_buffer = {"sockopt": ((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),)}
    slow = open_ws(f"token={stalled['access_token']}", **small_buffer)
    slow.send(json.dumps({"type": "subscribe", "symbols": ["EURUSD"]}))
    fast = open_ws(f"token={watcher['access_token']}")
    receive(fast)
    account_id = client.get("/api/account", headers=stalled["headers"]).get_json()["id"]
    fast.send(json.dumps({"type": "subscribe", "symbols": ["EURUSD"]}))
    receive(fast)
    padding = "x" * 20_000
    for seq in range(3000):  # about 60 MB for a reader that never reads
        data = {"account_id": account_id, "seq": seq, "padding": padding}
        event = {"type": "account.updated", "ts": 0, "data": data}
        redis_client.publish(CHANNELS.accounts, json.dumps(event))
        if seq % 500 == 0:
            put_quote(redis_client, "EURUSD", "1.10010", "1.10012", seq=seq)
    put_quote(redis_client, "EURUSD", "1.10030", "1.10032", seq=9999)
    # The fast client keeps up: it gets the last quote behind the burst.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        message = receive(fast, 10)
        if message["type"] == "quote" and message["data"]["seq"] == 9999:
            break
    else:
        pytest.fail("the fast client did not get the last quote")
    # The slow one was cut off: draining its buffer ends in a close, not in 3000 events.
    assert _closed_with(slow, 15) is not None


def test_a_revocation_missed_while_redis_was_away_still_closes_the_socket(
    client: FlaskClient, redis_client: redis.Redis, open_ws: Callable[..., Any]
) -> None:
    from flask_jwt_extended import decode_token

    from services import tokens

    trader = new_trader(client)
    ws = open_ws(f"token={trader['access_token']}")
    receive(ws)
    with client.application.app_context():
        jti = decode_token(trader["access_token"])["jti"]
    # Revoked without the broadcast (as if the pub/sub message was lost), then the relay's
    # subscription drops and comes back.
    redis_client.set(tokens.PREFIX + jti, "1", ex=60)
    assert kill_subscribers(redis_client) >= 1
    assert receive(ws)["type"] == "resync"
    assert _closed_with(ws, 5) == 1008
