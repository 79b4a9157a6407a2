"""The trader page in Chromium against the real app, PostgreSQL and Redis.

Prices (tests/quotes.py): put_market stores raw bid = mid and raw ask = mid + 2 points; a major's
client prices widen the raw quote by 5 points each side, so EURUSD at raw 1.10000/1.10002 shows
1.09995/1.10007. put_quote publishes each tick on the quotes channel, as the feed does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, WebSocket, expect

from marketdata.simulator import Simulator
from services.engine import PositionsEngine
from services.realtime import now_ms
from tests.browser.trader_page import TraderPage
from tests.helpers import bearer, new_trader
from tests.quotes import CHANNELS, MIDS, put_market, put_quote

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# Counts the chart's pixels drawn in the candle colours (js/chart.js): bars, not just axes.
CANDLE_PIXELS = """() => {
  const colours = ["26,158,110", "216,67,76"];
  let count = 0;
  for (const canvas of document.querySelectorAll("#chart canvas")) {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < data.length; i += 4) {
      if (colours.includes(`${data[i]},${data[i + 1]},${data[i + 2]}`)) count += 1;
    }
  }
  return count;
}"""


def test_register_watch_quotes_trade_and_see_the_account_move(
    page: Page,
    redis_client: redis.Redis,
    simulator: Simulator,
    engine: PositionsEngine,
    screenshot: Callable[[Page, str], Path],
) -> None:
    put_market(redis_client)
    trader = TraderPage(page).open()
    trader.register("alice")
    expect(page.locator("#who")).to_have_text("alice")

    # Initial prices from GET /api/quotes, then live ticks over the socket.
    expect(trader.quote_cell("EURUSD", "bid")).to_have_text("1.09995")
    expect(trader.quote_cell("EURUSD", "ask")).to_have_text("1.10007")
    put_quote(redis_client, "EURUSD", "1.10100", "1.10102", seq=2)
    expect(trader.quote_cell("EURUSD", "bid")).to_have_text("1.10095")
    expect(page.locator('#watchlist tr[data-symbol="EURUSD"]')).to_have_attribute("data-move", "up")

    # The chart draws the simulator's bars for the symbol picked in the watchlist.
    page.locator('#watchlist tr[data-symbol="EURUSD"]').click()
    expect(trader.chart).to_have_attribute("data-state", "ready")
    expect(trader.chart).to_have_attribute("data-bars", "100")
    expect(page.locator("#chart-status")).to_contain_text("EURUSD 1m: 100 bars")
    assert page.evaluate(CANDLE_PIXELS) > 500

    # Buy at the ask: the fill price comes back, the position and the account follow.
    expect(page.locator("#ticket .buy .price")).to_have_text("1.10107")
    trader.order("EURUSD", "BUY", "0.10")
    expect(trader.ticket_result).to_have_text("Bought 0.10 EURUSD at 1.10107 (order 1)")
    position = trader.position_row("EURUSD")
    # PnL at the bid: (1.10095 - 1.10107) x 10,000 = -1.20 USD; margin 100 EUR at mid 1.10101.
    expect(position).to_contain_text("BUY")
    expect(position.locator("td").nth(4)).to_have_text("1.10095")
    expect(position.locator("td").nth(5)).to_have_text("-1.20")
    expect(trader.figure("equity")).to_have_text("99998.80 USD")
    expect(trader.figure("used_margin")).to_have_text("110.10 USD")

    # The engine revalues on every tick: bid 1.10195 -> PnL +8.80 USD, margin at mid 1.10201.
    engine.start()
    assert engine.ready.wait(15), "the engine did not load"
    put_quote(redis_client, "EURUSD", "1.10200", "1.10202", seq=3)
    expect(trader.figure("equity")).to_have_text("100008.80 USD")
    expect(trader.figure("unrealized_pnl")).to_have_text("8.80 USD")
    expect(trader.figure("used_margin")).to_have_text("110.20 USD")
    expect(trader.figure("margin_state")).to_have_text("OK")
    # The positions table follows within a few seconds, from a new snapshot.
    expect(position.locator("td").nth(4)).to_have_text("1.10195")
    expect(position.locator("td").nth(5)).to_have_text("8.80")
    screenshot(page, "trader")


def test_refusals_show_the_server_message_and_book_nothing(
    page: Page, redis_client: redis.Redis, screenshot: Callable[[Page, str], Path]
) -> None:
    put_market(redis_client, {symbol: mid for symbol, mid in MIDS.items() if symbol != "XAGUSD"})
    trader = TraderPage(page).open()
    trader.register("bob")
    no_price = page.locator('#watchlist tr[data-symbol="XAGUSD"] .time span')
    expect(no_price).to_have_text("no price")
    expect(no_price).to_have_attribute("title", "PRICE_STALE")

    # 50 lots of gold: 5,000 oz at the mid 2400.01 over leverage 100 = 120,000.50 USD of margin;
    # the spread the position would start with (1,600.00 USD) comes off the free margin first.
    trader.order("XAUUSD", "BUY", "50")
    expect(trader.ticket_error.locator(".message")).to_have_text(
        "insufficient margin: required 120000.50 USD, free 98400.00 USD; the account would be"
        " at a margin level of 82.00% after this order, not above 100%"
    )
    expect(trader.ticket_error.locator("code")).to_have_text("INSUFFICIENT_MARGIN")
    expect(trader.ticket_result).to_have_text("BUY 50 XAUUSD refused")

    trader.order("XAGUSD", "SELL", "0.10")
    expect(trader.ticket_error.locator(".message")).to_have_text("no price for XAGUSD")
    expect(trader.ticket_error.locator("code")).to_have_text("PRICE_STALE")

    trader.order("EURUSD", "BUY", "0.001")
    expect(trader.ticket_error.locator("code")).to_have_text("VALIDATION_ERROR")
    expect(trader.ticket_error.locator("li")).to_have_text(re.compile(r"^lots: .+"))

    # Nothing was booked; the chart says why it has no bars (the vendor is unreachable here).
    expect(page.locator("#positions-status")).to_have_text("No open positions")
    expect(trader.figure("balance")).to_have_text("100000.00 USD")
    expect(trader.chart).to_have_attribute("data-state", "error")
    expect(page.locator(".chart .error code")).to_have_text("MARKET_DATA_UNAVAILABLE")
    screenshot(page, "trader-refused")


def test_margin_call_and_stop_out_are_shown(
    page: Page,
    client: FlaskClient,
    redis_client: redis.Redis,
    engine: PositionsEngine,
    worker: Any,
    screenshot: Callable[[Page, str], Path],
) -> None:
    put_market(redis_client)
    put_quote(redis_client, "AUDNZD", "1.10000", "1.10002")  # client 1.09990 / 1.10012
    trader = TraderPage(page).open()
    trader.register("carol")
    # 50 lots at 1.10012: margin 50,000 AUD at AUDUSD's mid 0.66001 = 33,000.50 USD.
    trader.order("AUDNZD", "BUY", "50")
    expect(trader.ticket_result).to_have_text("Bought 50.00 AUDNZD at 1.10012 (order 1)")
    engine.start()
    assert engine.ready.wait(15), "the engine did not load"

    # bid 1.07690: -116,100 NZD at NZDUSD's mid 0.60001 = -69,661.16 USD; level 91.93%.
    put_quote(redis_client, "AUDNZD", "1.07700", "1.07702", seq=2)
    alert = page.locator("#margin-alert")
    expect(alert).to_contain_text("margin level 91.93% (call at 100.00%, stop out at 50.00%)")
    expect(trader.figure("margin_state")).to_have_text("MARGIN_CALL")

    # bid 1.06990: level 28.30% <= 50%: the worker closes the position at the bid.
    put_quote(redis_client, "AUDNZD", "1.07000", "1.07002", seq=3)
    expect(alert).to_contain_text("Stop out")
    expect(alert).to_contain_text("SELL 50.00 AUDNZD at 1.06990; margin level now no margin used")
    expect(page.locator("#positions-status")).to_have_text("No open positions")
    expect(trader.figure("margin_state")).to_have_text("OK")
    screenshot(page, "trader-stop-out")


@pytest.fixture
def short_tokens(app: Flask) -> Iterator[None]:
    """Access tokens that expire 3 s after they are issued."""
    saved = app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(seconds=3)
    yield
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = saved


def test_expired_token_is_refreshed_the_socket_reconnects_and_logout_revokes(
    page: Page, client: FlaskClient, redis_client: redis.Redis, short_tokens: None
) -> None:
    put_market(redis_client)
    username = new_trader(client)["username"]
    trader = TraderPage(page).open()
    trader.fill_credentials(username, "not-the-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-form .error .message")).to_have_text("wrong username or password")

    # The server closes the socket when its token expires; the page refreshes and reconnects.
    with page.expect_response(lambda r: r.url.endswith("/api/auth/refresh")) as refreshed:
        trader.log_in(username)
    assert refreshed.value.status == 200
    trader.expect_live()
    put_quote(redis_client, "GBPUSD", "1.31000", "1.31002", seq=2)
    expect(trader.quote_cell("GBPUSD", "bid")).to_have_text("1.30995")
    trader.order("GBPUSD", "SELL", "0.20")
    expect(trader.ticket_result).to_have_text("Sold 0.20 GBPUSD at 1.30995 (order 1)")

    # Logging out forgets the tokens at once, then revokes both on the server.
    tokens = json.loads(page.evaluate("sessionStorage.getItem('fx-trader-tokens')"))
    with page.expect_response(lambda r: r.url.endswith("/api/auth/logout")) as logged_out:
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        expect(trader.connection).to_have_text("offline")
        assert page.evaluate("sessionStorage.getItem('fx-trader-tokens')") is None
    assert logged_out.value.status == 204
    expect(page.locator("#login-form .error")).to_be_hidden()
    refused = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refused.get_json()["error_code"] == "TOKEN_REVOKED"


def publish(redis_client: redis.Redis, kind: str, data: dict[str, Any]) -> None:
    """Publish a message on the accounts channel, as a late or lost publisher would."""
    redis_client.publish(
        CHANNELS.accounts, json.dumps({"type": kind, "ts": now_ms(), "data": data})
    )


def snapshot_requested(ws: WebSocket, action: Any) -> None:
    """Run `action` and wait until the page asks the server for a new snapshot."""
    with ws.expect_event("framesent", lambda sent: json.loads(sent)["type"] == "snapshot"):
        action()


def test_old_events_are_ignored_and_a_gap_or_resync_asks_for_a_snapshot(
    page: Page, client: FlaskClient, redis_client: redis.Redis
) -> None:
    put_market(redis_client)
    owner = new_trader(client)
    account = client.get("/api/account", headers=owner["headers"]).get_json()
    trader = TraderPage(page).open()
    with page.expect_websocket() as opened:
        trader.log_in(owner["username"])
    ws = opened.value
    expect(trader.figure("equity")).to_have_text("100000.00 USD")
    page.evaluate(RECORD_EQUITY)

    seq = account["txn_seq"]  # the snapshot's
    bogus = {"balance": "1.00", "equity": "1.00", "unrealized_pnl": "0.00",
             "used_margin": "0.00", "free_margin": "1.00", "margin_level": None}  # fmt: skip
    event = {"account_id": account["id"], "seq": seq}
    publish(redis_client, "account.updated", {**event, "account": {**account, **bogus}})
    valuation = {**event, **bogus, "currency": "USD", "margin_state": "OK"}
    publish(redis_client, "account.valued", {**valuation, "seq": seq - 1})
    snapshot_requested(
        ws, lambda: publish(redis_client, "account.valued", {**valuation, "seq": seq + 3})
    )
    snapshot_requested(ws, lambda: publish(redis_client, "resync", {**event, "reason": "test"}))
    expect(trader.figure("equity")).to_have_text("100000.00 USD")
    assert "1.00 USD" not in page.evaluate("window.equitySeen")


RECORD_EQUITY = """() => {
  window.equitySeen = [];
  const equity = document.querySelector('#account [data-field="equity"]');
  new MutationObserver(() => window.equitySeen.push(equity.textContent))
    .observe(equity, { childList: true, characterData: true, subtree: true });
}"""


INJECT_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.injected = true";
  document.head.append(script);
  return window.injected === true;
}"""


def test_the_content_security_policy_refuses_injected_script(
    page: Page, console_problems: list[str]
) -> None:
    TraderPage(page).open()
    refusal = "Content Security Policy"
    with page.expect_console_message(lambda console: refusal in console.text):
        assert page.evaluate(INJECT_SCRIPT) is False
    assert len(console_problems) == 1 and refusal in console_problems[0]
    console_problems.clear()  # the refusal this test provoked
