"""The ledger invariants in tests: the same check as `flask ledger verify`
(services/ledger_check.py), failing with the offending rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import text

from models import db
from services.ledger_check import LedgerReport, verify_ledger


def ledger_report() -> LedgerReport:
    """Verify every account now (needs an app context)."""
    return verify_ledger(
        db.engine, now=datetime.now(UTC), retention_days=current_app.config["RETENTION_DAYS"]
    )


def assert_ledger_invariants() -> None:
    """Fail with the offending rows if any invariant is broken (needs an app context)."""
    db.session.rollback()
    report = ledger_report()
    assert report.ok, "\n".join(report.lines())


def account_balance(account_id: int) -> Decimal:
    """Return an account's balance as stored."""
    value = db.session.execute(
        text("SELECT balance FROM accounts WHERE id = :id"), {"id": account_id}
    ).scalar_one()
    db.session.rollback()
    return Decimal(value)
