"""Fixtures of the browser tests: the real app served over a real socket, the system's Chromium
driven by Playwright, and a page that fails its test on an uncaught script error or a refused
Content-Security-Policy.

- `browser`: Chromium (tests/browser/chromium.py says where), launched once per test module:
  Playwright's sync API keeps an event loop marked running on the main thread while it is open,
  so it must not outlive the module. Without Chromium the tests fail with the install hint.
- `base_url`: the app on 127.0.0.1 (tests/server.py); each page's context uses it, so tests
  navigate with relative paths (`page.goto("/admin/")`).
- `page`: a fresh context (no cookies, no storage) and page for each test.
- `screenshot(page, name)`: a full-page PNG under the test's tmp_path; with SAVE_SCREENSHOTS=1
  (`make screenshots`) also written to docs/screenshots/NAME.png, which are committed.
Waiting is Playwright's own (auto-waiting locators, `expect`), never a sleep.

Candles: the app's vendor REST points at a closed port unless a test asks for `simulator`
(an in-process Alltick simulator, as in tests/integration/api/test_market.py), so no test ever
reaches a simulator that `make run` may have started on this machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from marketdata.simulator import Simulator, SimulatorConfig
from models import db
from services.engine import PositionsEngine, engine_from_config
from tests.browser.chromium import CHROMIUM, INSTALL_HINT, missing
from tests.server import serve

# Chromium's own background traffic (updates, sync, QUIC probes) is refused by closed networks:
# without these flags its connections fail and slow everything down.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VENDOR_DOWN = "http://127.0.0.1:9/quote-b-api"  # the discard port: connections are refused
VIEWPORT = {"width": 1440, "height": 960}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

expect.set_options(timeout=15_000)  # a 2-core CI machine runs Chromium beside the server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the test module; each test gets its own context (cookies, storage)."""
    if missing():
        pytest.fail(INSTALL_HINT, pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    """The app served over a real socket, its vendor REST refused unless `simulator` is used."""
    saved = app.config["ALLTICK_BASE_REST"]
    app.config["ALLTICK_BASE_REST"] = VENDOR_DOWN
    try:
        with serve(app) as url:
            yield url
    finally:
        app.config["ALLTICK_BASE_REST"] = saved


@pytest.fixture
def simulator(app: Flask, base_url: str) -> Iterator[Simulator]:
    """An in-process Alltick simulator serving the app's candles."""
    sim = Simulator(SimulatorConfig(port=0))
    sim.start_in_thread()
    saved = app.config["ALLTICK_BASE_REST"]
    app.config["ALLTICK_BASE_REST"] = sim.rest_url()
    try:
        yield sim
    finally:
        app.config["ALLTICK_BASE_REST"] = saved
        sim.stop()


@pytest.fixture
def engine(app: Flask) -> Iterator[PositionsEngine]:
    """The positions engine (it sends `account.valued` when prices move), not started yet:
    started after an order, it loads the position from the database before the next tick."""
    with app.app_context():
        sql = db.engine
    own = redis_lib.Redis.from_url(app.config["REDIS_URL"], decode_responses=True)
    send_task = app.extensions["celery"].send_task
    positions_engine = engine_from_config(app.config, sql, send_task, own)
    yield positions_engine
    positions_engine.stop()


@pytest.fixture
def console_problems() -> list[str]:
    """What the page reported going wrong: uncaught errors and console errors (CSP refusals)."""
    return []


@pytest.fixture
def page(browser: Browser, base_url: str, console_problems: list[str]) -> Iterator[Page]:
    """A fresh page on the served app; fails the test on a script error or a CSP refusal."""
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT)  # type: ignore[arg-type]
    opened = context.new_page()
    opened.on("pageerror", lambda error: console_problems.append(f"uncaught: {error}"))
    opened.on("console", lambda message: _note_console(message, console_problems))
    yield opened
    context.close()
    assert console_problems == [], console_problems


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Page, str], Path]:
    """Return a function saving a full-page screenshot once the page's fonts are drawn."""

    def save(page: Page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.evaluate("document.fonts.ready.then(() => true)")  # icon fonts drawn, not boxes
        taken = page.screenshot(path=str(path), full_page=True)
        assert taken.startswith(b"\x89PNG")
        if os.environ.get("SAVE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            (SCREENSHOTS / path.name).write_bytes(taken)
        return path

    return save


# Chromium's own console errors that are no fault of the page:
EXPECTED_CONSOLE_ERRORS = (
    # every 4xx answer: refusals are part of what the tests check;
    "Failed to load resource",
    # when the server closes a socket (e.g. its token expired), flask-sock under werkzeug's test
    # server (not gunicorn) writes an HTTP response after the close frame.
    "Invalid frame header",
)


def _note_console(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error" and not any(e in message.text for e in EXPECTED_CONSOLE_ERRORS):
        problems.append(message.text)
