"""The back office in a real browser: sign in, adjust a balance, find the entry in the ledger."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import LedgerEntry, Role, db
from services.users import AccountDefaults, register_user
from tests.helpers import PASSWORD
from tests.invariants import assert_ledger_invariants

REASON = "Wire 2026-0042"


def _users(app: Flask) -> int:
    """Create an admin and a trader (100000.00 USD); return the trader's account id."""
    with app.app_context():
        defaults = AccountDefaults("USD", 100, Decimal("100000"))
        register_user(db.session, "operator", PASSWORD, defaults, role=Role.ADMIN)
        trader = register_user(db.session, "alice", PASSWORD, defaults)
        return trader.accounts[0].id


def test_an_admin_adjusts_a_balance_and_sees_it_in_the_ledger(
    app: Flask, page: Page, screenshot: Callable[[Page, str], Path]
) -> None:
    account_id = _users(app)
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    navbar = page.get_by_role("navigation")
    expect(navbar).to_contain_text("signed in as operator")

    navbar.get_by_role("link", name="Accounts", exact=True).click()
    row = page.get_by_role("row").filter(has_text="alice")
    row.get_by_role("link", name="adjust balance").click()
    expect(
        page.get_by_role("heading", name=f"Adjust the balance of account {account_id}")
    ).to_be_visible()
    page.get_by_label("Kind").select_option("deposit")
    page.get_by_label("Amount").fill("1234.56")
    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Book").click()

    expect(page).to_have_url(re.compile(rf"/admin/ledger/\?flt0_account_equals={account_id}$"))
    expect(page.locator(".alert-success")).to_contain_text(
        f"Booked deposit: 1234.56 USD on account {account_id}"
    )
    entry = page.get_by_role("row").filter(has_text=REASON)
    for text in ("deposit", "1234.56", "101234.56", "admin:"):
        expect(entry).to_contain_text(text)
    screenshot(page, "backoffice")

    with app.app_context():
        booked = db.session.scalars(select(LedgerEntry).where(LedgerEntry.reason == REASON)).all()
        assert [(e.account_id, e.amount) for e in booked] == [(account_id, Decimal("1234.56"))]
        assert_ledger_invariants()
