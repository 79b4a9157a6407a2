"""The ledger invariants, checked straight in PostgreSQL.

For every account: balance = sum of its ledger entries; for every position: its signed lots (0
once closed) = the sum of the signed lots of its own fills; transaction sequence numbers used by
orders and ledger entries are exactly 1..txn_seq, without gaps; rows of one account are stamped
in the order of their transactions.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

from models import db

BALANCE_MISMATCHES = """
SELECT a.id, a.balance, COALESCE(SUM(l.amount), 0) AS ledger
FROM accounts a LEFT JOIN ledger_entries l ON l.account_id = a.id
GROUP BY a.id, a.balance HAVING a.balance <> COALESCE(SUM(l.amount), 0)
"""

POSITION_MISMATCHES = """
SELECT p.id, p.symbol, p.status,
       CASE WHEN p.side = 'BUY' THEN p.lots ELSE -p.lots END AS signed,
       COALESCE(SUM(CASE WHEN f.side = 'BUY' THEN f.lots ELSE -f.lots END), 0) AS fills
FROM positions p LEFT JOIN fills f ON f.position_id = p.id
GROUP BY p.id, p.symbol, p.status, p.side, p.lots
HAVING CASE WHEN p.side = 'BUY' THEN p.lots ELSE -p.lots END
       <> COALESCE(SUM(CASE WHEN f.side = 'BUY' THEN f.lots ELSE -f.lots END), 0)
"""

STAMPS_OUT_OF_ORDER = """
SELECT account_id, txn_seq, created_at FROM (
  SELECT account_id, txn_seq, created_at,
         lag(created_at) OVER (PARTITION BY account_id ORDER BY txn_seq) AS before
  FROM (SELECT account_id, txn_seq, created_at FROM ledger_entries
        UNION ALL SELECT account_id, txn_seq, created_at FROM orders) AS booked
) AS stamped WHERE created_at < before
"""

SEQUENCE_GAPS = """
WITH used AS (
  SELECT account_id, txn_seq FROM orders
  UNION SELECT account_id, txn_seq FROM ledger_entries
)
SELECT a.id, a.txn_seq, COUNT(u.txn_seq), MIN(u.txn_seq), MAX(u.txn_seq)
FROM accounts a LEFT JOIN used u ON u.account_id = a.id
GROUP BY a.id, a.txn_seq
HAVING COUNT(u.txn_seq) <> a.txn_seq OR COALESCE(MAX(u.txn_seq), 0) <> a.txn_seq
"""


def assert_ledger_invariants() -> None:
    """Fail with the offending rows if any invariant is broken (needs an app context)."""
    for name, query in (
        ("balance <> sum(ledger)", BALANCE_MISMATCHES),
        ("position <> sum(its fills)", POSITION_MISMATCHES),
        ("txn_seq gaps", SEQUENCE_GAPS),
        ("rows stamped out of txn order", STAMPS_OUT_OF_ORDER),
    ):
        rows = db.session.execute(text(query)).all()
        assert rows == [], f"{name}: {rows}"
    db.session.rollback()


def account_balance(account_id: int) -> Decimal:
    """Return an account's balance as stored."""
    value = db.session.execute(
        text("SELECT balance FROM accounts WHERE id = :id"), {"id": account_id}
    ).scalar_one()
    db.session.rollback()
    return Decimal(value)
