"""ORM rows as domain records: one mapper per table, used wherever a service reads with the ORM.

The booking path reads and writes with SQLAlchemy Core (services.book_store); history, admin and
maintenance read with the ORM and return the same records.
"""

from __future__ import annotations

from domain.records import FillRecord, LedgerRecord, OrderRecord, OrderStatus, PositionRecord
from models import Fill, LedgerEntry, Order, Position


def order_record(row: Order) -> OrderRecord:
    """Return an order row as a record."""
    return OrderRecord(
        id=row.id, client_order_id=row.client_order_id, symbol=row.symbol, side=row.side,
        lots=row.lots, price_bound=row.price_bound, reason=row.reason,
        status=OrderStatus(row.status), txn_seq=row.txn_seq, created_at=row.created_at,
    )  # fmt: skip


def fill_record(row: Fill) -> FillRecord:
    """Return a fill row as a record."""
    return FillRecord(
        id=row.id, order_id=row.order_id, position_id=row.position_id, symbol=row.symbol,
        side=row.side, lots=row.lots, price=row.price, realized_pnl=row.realized_pnl,
        txn_seq=row.txn_seq, created_at=row.created_at, quote_bid=row.quote_bid,
        quote_ask=row.quote_ask, quote_at=row.quote_at, conversion_rate=row.conversion_rate,
    )  # fmt: skip


def position_record(row: Position) -> PositionRecord:
    """Return a position row as a record."""
    return PositionRecord(
        id=row.id, symbol=row.symbol, side=row.side, lots=row.lots, max_lots=row.max_lots,
        avg_price=row.avg_price, realized_pnl=row.realized_pnl, status=row.status,
        opened_at=row.opened_at, closed_at=row.closed_at, close_price=row.close_price,
        close_reason=row.close_reason, txn_seq=row.txn_seq,
    )  # fmt: skip


def ledger_record(row: LedgerEntry) -> LedgerRecord:
    """Return a ledger entry row as a record."""
    return LedgerRecord(
        id=row.id, account_id=row.account_id, kind=row.kind, amount=row.amount,
        balance_after=row.balance_after, reference=row.reference, reason=row.reason,
        txn_seq=row.txn_seq, created_at=row.created_at,
    )  # fmt: skip
