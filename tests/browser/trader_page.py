"""The trader page as the tests use it: what a person would do and read, by label and role."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

from tests.helpers import PASSWORD


@dataclass
class TraderPage:
    """Actions on, and parts of, the page at `/`."""

    page: Page

    def open(self) -> TraderPage:
        """Load the page; it starts at the login form."""
        self.page.goto("/")
        expect(self.page.get_by_role("heading", name="Log in")).to_be_visible()
        return self

    def fill_credentials(self, username: str, password: str = PASSWORD) -> None:
        """Type a username and password into the login form."""
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)

    def register(self, username: str, password: str = PASSWORD) -> None:
        """Register through the form (which then logs in) and wait until the socket is live."""
        self.fill_credentials(username, password)
        self.page.get_by_role("button", name="Register").click()
        self.expect_live()

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        """Log in through the form and wait until the socket is live."""
        self.fill_credentials(username, password)
        self.page.get_by_role("button", name="Log in").click()
        self.expect_live()

    def expect_live(self) -> None:
        """Wait for the snapshot and the confirmed subscription of a new socket."""
        expect(self.connection).to_have_text("live")

    @property
    def connection(self) -> Locator:
        """The connection badge."""
        return self.page.locator("#connection")

    def quote_cell(self, symbol: str, side: str) -> Locator:
        """The watchlist's bid or ask cell of a symbol."""
        return self.page.locator(f'#watchlist tr[data-symbol="{symbol}"] .{side}')

    def order(self, symbol: str, side: str, lots: str) -> None:
        """Fill the ticket and press Buy or Sell."""
        self.page.get_by_label("Symbol").select_option(symbol)
        self.page.get_by_label("Lots").fill(lots)
        name = "Buy" if side == "BUY" else "Sell"
        self.page.locator("#ticket").get_by_role("button", name=name).click()

    @property
    def ticket_result(self) -> Locator:
        """The ticket's last outcome ("Bought 0.10 EURUSD at ...")."""
        return self.page.locator("#ticket-result")

    @property
    def ticket_error(self) -> Locator:
        """The ticket's error box."""
        return self.page.locator(".ticket .error")

    def figure(self, name: str) -> Locator:
        """An account figure (balance, equity, used_margin, margin_level, margin_state...)."""
        return self.page.locator(f'#account [data-field="{name}"]')

    def position_row(self, symbol: str) -> Locator:
        """The open position's row of a symbol."""
        return self.page.locator(f'#positions tr[data-symbol="{symbol}"]')

    @property
    def chart(self) -> Locator:
        """The chart's container (data-state, data-bars)."""
        return self.page.locator("#chart")
