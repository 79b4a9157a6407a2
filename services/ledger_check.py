"""The ledger's invariants, checked straight in PostgreSQL: what `flask ledger verify` runs.

Each rule is one query returning the rows that break it (none when the books are right), for
every account or for one:

- `balance`: an account's balance is the sum of its ledger entries (accounts open at 0: the
  opening deposit is an entry like any other).
- `balance_after`: each entry's `balance_after` is the running sum of the account's entries in
  booking order (txn_seq, then id).
- `position_fills`: a position's signed lots (0 once closed) are the signed sum of its own fills.
- `position_status`: an open position holds lots, a closed one none.
- `txn_seq`: the transaction numbers used by an account's orders and ledger entries are exactly
  1..txn_seq, without gaps.
- `txn_duplicates`: one transaction books at most one order; a transaction without an order
  (a deposit, an adjustment) books exactly one ledger entry.
- `fill_txn`: every fill carries its order's transaction number and account.
- `order_fills`: every filled order has fills whose lots add up to the order's. Orders older than
  the retention horizon are left out: maintenance deletes the fills of positions closed before
  it (never the orders). A younger order cannot have lost a fill, since any position it touched
  was closed after the order was placed.
- `client_order_id`: no account booked a client order id twice (the database's unique index
  already forbids it; the check says so if the index were ever dropped).
- `stamps`: an account's rows are stamped in the order of their transactions.

The check reads one consistent snapshot (a REPEATABLE READ, read-only transaction), so it can
run while the system trades.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

# Every query takes :account (NULL: every account) and returns (account_id, detail...).

RULES: dict[str, str] = {
    "balance": """
        SELECT a.id, a.balance, COALESCE(SUM(l.amount), 0) AS ledger_sum
        FROM accounts a LEFT JOIN ledger_entries l ON l.account_id = a.id
        WHERE (CAST(:account AS BIGINT) IS NULL OR a.id = :account)
        GROUP BY a.id, a.balance HAVING a.balance <> COALESCE(SUM(l.amount), 0)
    """,
    "balance_after": """
        SELECT account_id, id, txn_seq, balance_after, running FROM (
          SELECT account_id, id, txn_seq, balance_after,
                 SUM(amount) OVER (PARTITION BY account_id ORDER BY txn_seq, id) AS running
          FROM ledger_entries WHERE (CAST(:account AS BIGINT) IS NULL OR account_id = :account)
        ) AS entries WHERE balance_after <> running
    """,
    "position_fills": """
        SELECT p.account_id, p.id, p.symbol,
               CASE WHEN p.side = 'BUY' THEN p.lots ELSE -p.lots END AS signed_lots,
               COALESCE(SUM(CASE WHEN f.side = 'BUY' THEN f.lots ELSE -f.lots END), 0) AS fills
        FROM positions p LEFT JOIN fills f ON f.position_id = p.id
        WHERE (CAST(:account AS BIGINT) IS NULL OR p.account_id = :account)
        GROUP BY p.account_id, p.id, p.symbol, p.side, p.lots
        HAVING CASE WHEN p.side = 'BUY' THEN p.lots ELSE -p.lots END
               <> COALESCE(SUM(CASE WHEN f.side = 'BUY' THEN f.lots ELSE -f.lots END), 0)
    """,
    "position_status": """
        SELECT account_id, id, symbol, status, lots FROM positions
        WHERE (CAST(:account AS BIGINT) IS NULL OR account_id = :account)
          AND ((status = 'open' AND lots = 0) OR (status = 'closed' AND lots <> 0))
    """,
    "txn_seq": """
        WITH used AS (
          SELECT account_id, txn_seq FROM orders
          UNION SELECT account_id, txn_seq FROM ledger_entries
        )
        SELECT a.id, a.txn_seq, COUNT(u.txn_seq) AS used, MIN(u.txn_seq), MAX(u.txn_seq)
        FROM accounts a LEFT JOIN used u ON u.account_id = a.id
        WHERE (CAST(:account AS BIGINT) IS NULL OR a.id = :account)
        GROUP BY a.id, a.txn_seq
        HAVING COUNT(u.txn_seq) <> a.txn_seq OR COALESCE(MAX(u.txn_seq), 0) <> a.txn_seq
    """,
    "txn_duplicates": """
        SELECT account_id, txn_seq, orders, entries FROM (
          SELECT COALESCE(o.account_id, l.account_id) AS account_id,
                 COALESCE(o.txn_seq, l.txn_seq) AS txn_seq,
                 COALESCE(o.orders, 0) AS orders, COALESCE(l.entries, 0) AS entries
          FROM (SELECT account_id, txn_seq, COUNT(*) AS orders FROM orders
                GROUP BY account_id, txn_seq) AS o
          FULL JOIN (SELECT account_id, txn_seq, COUNT(*) AS entries FROM ledger_entries
                     GROUP BY account_id, txn_seq) AS l
            ON l.account_id = o.account_id AND l.txn_seq = o.txn_seq
        ) AS per_txn
        WHERE (CAST(:account AS BIGINT) IS NULL OR account_id = :account)
          AND (orders > 1 OR (orders = 0 AND entries <> 1))
    """,
    "fill_txn": """
        SELECT f.account_id, f.id, f.order_id, f.txn_seq, o.txn_seq AS order_txn_seq
        FROM fills f JOIN orders o ON o.id = f.order_id
        WHERE (CAST(:account AS BIGINT) IS NULL OR f.account_id = :account)
          AND (f.txn_seq <> o.txn_seq OR f.account_id <> o.account_id)
    """,
    "order_fills": """
        SELECT o.account_id, o.id, o.lots, COALESCE(SUM(f.lots), 0) AS filled
        FROM orders o LEFT JOIN fills f ON f.order_id = o.id
        WHERE (CAST(:account AS BIGINT) IS NULL OR o.account_id = :account)
          AND o.status = 'filled' AND o.created_at >= :horizon
        GROUP BY o.account_id, o.id, o.lots HAVING o.lots <> COALESCE(SUM(f.lots), 0)
    """,
    "client_order_id": """
        SELECT account_id, client_order_id, COUNT(*) FROM orders
        WHERE client_order_id IS NOT NULL
          AND (CAST(:account AS BIGINT) IS NULL OR account_id = :account)
        GROUP BY account_id, client_order_id HAVING COUNT(*) > 1
    """,
    "stamps": """
        SELECT account_id, txn_seq, created_at, before FROM (
          SELECT account_id, txn_seq, created_at,
                 lag(created_at) OVER (PARTITION BY account_id ORDER BY txn_seq) AS before
          FROM (SELECT account_id, txn_seq, created_at FROM ledger_entries
                UNION ALL SELECT account_id, txn_seq, created_at FROM orders) AS booked
          WHERE (CAST(:account AS BIGINT) IS NULL OR account_id = :account)
        ) AS stamped WHERE created_at < before
    """,
}

_COUNT_ACCOUNTS = """
    SELECT COUNT(*) FROM accounts WHERE (CAST(:account AS BIGINT) IS NULL OR id = :account)
"""


@dataclass(frozen=True)
class Violation:
    """One row that breaks a rule: the rule, the account and the row's values."""

    rule: str
    account_id: int
    detail: tuple[Any, ...]


@dataclass(frozen=True)
class LedgerReport:
    """What a verification found."""

    accounts: int
    rules: tuple[str, ...]
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every rule held."""
        return not self.violations

    def lines(self) -> list[str]:
        """The report as lines of text: a summary, then one line per violation."""
        verdict = "OK" if self.ok else f"{len(self.violations)} violation(s)"
        head = f"ledger verify: {self.accounts} account(s), {len(self.rules)} rules: {verdict}"
        return [head] + [
            f"  {v.rule}: account {v.account_id}: {', '.join(map(str, v.detail))}"
            for v in self.violations
        ]


def verify_ledger(
    bind: Engine | Connection,
    *,
    now: datetime,
    retention_days: int,
    account_id: int | None = None,
) -> LedgerReport:
    """Check every rule for one account (or all) in one snapshot; return what broke."""
    params = {"account": account_id, "horizon": now - timedelta(days=retention_days)}
    if isinstance(bind, Connection):
        return _verify(bind, params)
    with bind.connect() as opened:
        snapshot = opened.execution_options(isolation_level="REPEATABLE READ")
        with snapshot.begin():
            snapshot.execute(text("SET TRANSACTION READ ONLY"))
            return _verify(snapshot, params)


def _verify(connection: Connection, params: dict[str, Any]) -> LedgerReport:
    accounts = connection.execute(text(_COUNT_ACCOUNTS), params).scalar_one()
    violations = [
        Violation(rule, int(row[0]), tuple(row[1:]))
        for rule, query in RULES.items()
        for row in connection.execute(text(query), params).all()
    ]
    return LedgerReport(accounts=accounts, rules=tuple(RULES), violations=violations)
