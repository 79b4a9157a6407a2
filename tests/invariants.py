"""The ledger invariants, checked straight in PostgreSQL.

For every account: balance = sum of its ledger entries; for every (account, symbol): the open
position's signed lots = the sum of the signed lots of its fills; transaction sequence numbers
used by orders and ledger entries are exactly 1..txn_seq, without gaps.
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
WITH fills_sum AS (
  SELECT account_id, symbol,
         SUM(CASE WHEN side = 'BUY' THEN lots ELSE -lots END) AS signed
  FROM fills GROUP BY account_id, symbol
), open_pos AS (
  SELECT account_id, symbol, CASE WHEN side = 'BUY' THEN lots ELSE -lots END AS signed
  FROM positions WHERE status = 'open'
)
SELECT f.account_id, f.symbol, f.signed, COALESCE(o.signed, 0)
FROM fills_sum f LEFT JOIN open_pos o USING (account_id, symbol)
WHERE f.signed <> COALESCE(o.signed, 0)
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
        ("position <> sum(fills)", POSITION_MISMATCHES),
        ("txn_seq gaps", SEQUENCE_GAPS),
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
