"""Browser tests: Debian's Chromium driven by Playwright, against the real app on a real socket.

Fixtures shared by every browser test (add a page's tests beside test_backoffice.py):
- `browser` (one per test module, so no other test runs beside Playwright's event loop):
  Chromium from Debian's package at /usr/bin/chromium, headless, with CHROMIUM_ARGS.
  Playwright's own browser builds are never used (`playwright install` cannot download them
  here). Without Chromium the tests are skipped on a developer's machine and fail in CI
  (CI=true), where .ci/run installs it (`apt-get install -y chromium`).
- `live_server`: the app under test served on 127.0.0.1 by a threaded server (tests/server.py);
  its base URL.
- `page`: a fresh browser context (no cookies, no storage) and page for each test.
- `screenshot(page, name)`: a full-page PNG under the test's tmp_path, or into docs/screenshots/
  (committed) when UPDATE_SCREENSHOTS=1.
Waiting is Playwright's own (auto-waiting locators, `expect`), never a sleep.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright

from tests.server import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium, launched once for the test module."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on a real socket; its base URL (http://127.0.0.1:PORT)."""
    with serve(app) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context, closed after the test."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Page, str], Path]:
    """Return a function saving a full-page screenshot once the page's fonts are loaded."""

    def save(page: Page, name: str) -> Path:
        folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.evaluate("document.fonts.ready.then(() => true)")  # icon fonts drawn, not boxes
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
