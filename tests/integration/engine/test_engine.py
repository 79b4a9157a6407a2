"""The positions engine against real PostgreSQL, Redis pub/sub and the Celery broker queue.

Positions are opened through POST /api/orders; prices move with put_quote, which publishes the
tick on the quotes channel as the feed does. The test listens on the accounts channel with its
own subscription.
Quotes (tests/quotes.py): raw ask = raw bid + 2 points; a major's client prices widen the raw
quote by 5 points each side (a cross's by 10), so BUY AUDUSD at raw 0.66000/0.66002 fills at
0.66007. Pub/sub channels are shared by every database of a Redis server, so the tests move
symbols other test modules leave at put_market's prices (AUDUSD, AUDNZD, GBPJPY).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from domain.records import LedgerKind
from models import Account, db
from services.accounts import adjust_balance
from services.engine import PositionsEngine, engine_from_config
from tests.helpers import kill_subscribers, new_trader
from tests.quotes import CHANNELS, put_market, put_quote
from tests.scenarios import collaborators

Event = dict[str, Any]
ENGINE_CLIENT = f"engine-test-{uuid.uuid4().hex[:8]}"


class Listener:
    """A subscription to the accounts channel that keeps every event it has read."""

    def __init__(self, client: redis_lib.Redis) -> None:
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(CHANNELS.accounts)
        self.seen: list[Event] = []

    def wait_for(
        self, predicate: Callable[[Event], bool], since: int | None = None, timeout: float = 10.0
    ) -> Event:
        """Return the first event read from `since` on (default: from now) that matches."""
        for event in self.seen[len(self.seen) if since is None else since :]:
            if predicate(event):
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.pubsub.get_message(timeout=0.1)
            if message is None:
                continue
            event = json.loads(message["data"])
            self.seen.append(event)
            if predicate(event):
                return event
        raise AssertionError(f"no matching event within {timeout}s; seen: {self.seen[-5:]}")

    def valued(self, account_id: int, since: int | None = None, **fields: Any) -> Event:
        """Wait for an account.valued event of the account with these field values."""

        def matches(event: Event) -> bool:
            data = event["data"]
            return (
                event["type"] == "account.valued"
                and data["account_id"] == account_id
                and all(data.get(k) == v for k, v in fields.items())
            )

        return self.wait_for(matches, since)

    def count(self, kind: str, account_id: int) -> int:
        """Return how many events of a kind for the account were read so far."""
        return sum(
            1 for e in self.seen if e["type"] == kind and e["data"]["account_id"] == account_id
        )


@pytest.fixture
def listener(redis_client: redis_lib.Redis) -> Iterator[Listener]:
    subscriber = Listener(redis_client)
    yield subscriber
    subscriber.pubsub.close()


@pytest.fixture
def engine(app: Flask) -> Iterator[PositionsEngine]:
    """An engine on the test database and Redis (its connections named), not started yet."""
    with app.app_context():
        sql = db.engine
    send_task = app.extensions["celery"].send_task
    own = redis_lib.Redis.from_url(
        app.config["REDIS_URL"], decode_responses=True, client_name=ENGINE_CLIENT
    )
    positions_engine = engine_from_config(app.config, sql, send_task, own)
    yield positions_engine
    positions_engine.stop()


def start(engine: PositionsEngine) -> None:
    engine.start()
    assert engine.ready.wait(15), "engine did not load"


def buy(client: FlaskClient, trader: dict[str, Any], lots: float, symbol: str = "AUDUSD") -> int:
    response = client.post(
        "/api/orders",
        json={"symbol": symbol, "side": "BUY", "lots": lots},
        headers=trader["headers"],
    )
    assert response.status_code == 201, response.get_json()
    account_id: int = response.get_json()["account"]["id"]
    return account_id


def stop_out_messages(redis_client: redis_lib.Redis) -> list[tuple[str, list[Any]]]:
    """Return (task name, args) of every message waiting in the Celery queue."""
    found = []
    for raw in redis_client.lrange("celery", 0, -1):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["task"], args))
    return found


def test_a_tick_revalues_the_account(
    client: FlaskClient, redis_client: redis_lib.Redis, engine: PositionsEngine, listener: Listener
) -> None:
    put_market(redis_client)
    account_id = buy(client, new_trader(client), 1)  # 1 lot at 0.66007
    start(engine)
    put_quote(redis_client, "AUDUSD", "0.67000", "0.67002", seq=2)
    # client bid 0.66995: PnL (0.66995 - 0.66007) x 100,000 = 988.00 USD;
    # margin 1,000 AUD at the mid 0.67001 = 670.01 USD; level 100,988 / 670.01 = 15072.61%.
    event = listener.valued(account_id, equity="100988.00")
    assert event["data"] == {
        "account_id": account_id,
        "seq": 2,
        "currency": "USD",
        "balance": "100000.00",
        "equity": "100988.00",
        "unrealized_pnl": "988.00",
        "used_margin": "670.01",
        "free_margin": "100317.99",
        "margin_level": "15072.61",
        "margin_state": "OK",
    }


def test_jpy_pnl_is_converted_to_usd(
    client: FlaskClient, redis_client: redis_lib.Redis, engine: PositionsEngine, listener: Listener
) -> None:
    put_market(redis_client)
    account_id = buy(client, new_trader(client), 1, "GBPJPY")  # a cross: filled at 195.012
    start(engine)
    put_quote(redis_client, "GBPJPY", "196.000", "196.002", seq=2)
    # client bid 195.990: PnL 0.978 x 100,000 = 97,800 JPY, at 1 / USDJPY's mid 150.001
    # (149.995 / 150.007) = 651.9957 USD; margin 1,000 GBP at GBPUSD's mid 1.30001.
    listener.valued(account_id, unrealized_pnl="652.00", used_margin="1300.01")


def test_margin_call_once_per_crossing_and_stop_out_enqueued_once(
    client: FlaskClient, redis_client: redis_lib.Redis, engine: PositionsEngine, listener: Listener
) -> None:
    put_market(redis_client)
    put_quote(redis_client, "AUDNZD", "1.10000", "1.10002")  # client 1.09990 / 1.10012
    # 50 lots at 1.10012: margin 50,000 AUD at AUDUSD's mid 0.66001 = 33,000.50 USD;
    # PnL in NZD at NZDUSD's mid 0.60001.
    account_id = buy(client, new_trader(client), 50, "AUDNZD")
    start(engine)
    # bid 1.07690: -0.02322 x 5,000,000 = -116,100 NZD = -69,661.16 USD; level 91.93
    put_quote(redis_client, "AUDNZD", "1.07700", "1.07702", seq=2)
    listener.valued(account_id, equity="30338.84", margin_level="91.93")
    # bid 1.07590: -121,100 NZD = -72,661.21 USD: still in margin call, not called again
    put_quote(redis_client, "AUDNZD", "1.07600", "1.07602", seq=3)
    listener.valued(account_id, equity="27338.79", margin_state="MARGIN_CALL")
    assert listener.count("margin.call", account_id) == 1
    call = next(e for e in listener.seen if e["type"] == "margin.call")
    assert call["data"]["margin_level"] == "91.93"
    assert call["data"]["margin_call_level"] == "100.00"
    assert stop_out_messages(redis_client) == []
    # bid 1.06990: -151,100 NZD = -90,661.51 USD, equity 9,338.49, level 28.30 <= 50
    put_quote(redis_client, "AUDNZD", "1.07000", "1.07002", seq=4)
    listener.valued(account_id, margin_level="28.30", margin_state="STOP_OUT")
    # bid 1.06890: -156,100 NZD = -93,661.56 USD; still stopped out, not enqueued again
    put_quote(redis_client, "AUDNZD", "1.06900", "1.06902", seq=5)
    listener.valued(account_id, equity="6338.44")
    assert stop_out_messages(redis_client) == [("margin.stop_out", [account_id])]
    assert listener.count("margin.call", account_id) == 1


def test_an_order_after_start_is_picked_up(
    client: FlaskClient, redis_client: redis_lib.Redis, engine: PositionsEngine, listener: Listener
) -> None:
    put_market(redis_client)
    first = buy(client, new_trader(client), 1)
    start(engine)
    trader = new_trader(client)
    second = buy(client, trader, 2)  # 2 lots at 0.66007; the market bid is 0.65995
    listener.valued(second, seq=2, unrealized_pnl="-24.00", used_margin="1320.02")
    buy(client, trader, 1)  # now 3 lots averaging 0.66007
    listener.valued(second, seq=3, used_margin="1980.03")
    mark = len(listener.seen)
    put_quote(redis_client, "AUDUSD", "0.66100", "0.66102", seq=2)  # bid 0.66095
    listener.valued(second, mark, unrealized_pnl="264.00", equity="100264.00")
    listener.valued(first, mark, unrealized_pnl="88.00")


def test_a_balance_change_reloads_the_account(
    app: Flask,
    client: FlaskClient,
    redis_client: redis_lib.Redis,
    engine: PositionsEngine,
    listener: Listener,
) -> None:
    put_market(redis_client)
    account_id = buy(client, new_trader(client), 1)
    start(engine)
    with app.app_context():
        adjust_balance(
            db.session, collaborators(redis_client), account_id, LedgerKind.DEPOSIT,
            Decimal(500), "top up", 0,
        )  # fmt: skip
    # account.updated carries seq 3, beyond the 2 the engine loaded: it reloads the balance
    listener.valued(account_id, seq=3, balance="100500.00", equity="100488.00")


@pytest.mark.ledger_tampered(reason="changes a balance behind the engine's back, no ledger entry")
def test_a_pubsub_reconnect_reloads_everything(
    app: Flask,
    client: FlaskClient,
    redis_client: redis_lib.Redis,
    engine: PositionsEngine,
    listener: Listener,
) -> None:
    put_market(redis_client)
    account_id = buy(client, new_trader(client), 1)
    start(engine)
    listener.valued(account_id, balance="100000.00")
    with app.app_context():  # a change the engine hears nothing about
        db.session.execute(update(Account).values(balance=Decimal("90000.00")))
        db.session.commit()
    assert kill_subscribers(redis_client, ENGINE_CLIENT) == 1
    listener.valued(account_id, balance="90000.00", equity="89988.00")
