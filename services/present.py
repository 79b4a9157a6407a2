"""How money, lots and prices are written in API bodies and events: decimal strings, one way.

- money: the account currency's cents, always two places ("100.00");
- lots: two places ("0.10");
- prices: at least the instrument's digits, more only when the value has them (an average price
  keeps up to 10 places): "1.10005", "150.123", "1.1000066667".
The same value read back from PostgreSQL (NUMERIC with trailing zeros) prints the same.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.instruments import INSTRUMENTS
from models import Fill, LedgerEntry, Order, Position

CENT = Decimal("0.01")


def money(value: Decimal | None) -> str | None:
    """Write an amount of money."""
    return None if value is None else str(value.quantize(CENT))


def lots(value: Decimal) -> str:
    """Write a quantity of lots."""
    return str(value.quantize(CENT))


def price(symbol: str, value: Decimal | None) -> str | None:
    """Write a price with at least the symbol's digits and no trailing zeros beyond them."""
    if value is None:
        return None
    instrument = INSTRUMENTS.get(symbol)
    digits = instrument.digits if instrument else 5
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else digits
    return f"{value:.{max(places, digits)}f}"


def when(value: datetime | None) -> str | None:
    """Write a timestamp as ISO 8601 UTC."""
    return None if value is None else value.isoformat()


def order_body(order: Order) -> dict[str, Any]:
    """Return an order as the API shows it."""
    return {
        "id": order.id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "lots": lots(order.lots),
        "price_bound": price(order.symbol, order.price_bound),
        "reason": order.reason.value,
        "status": order.status,
        "txn_seq": order.txn_seq,
        "created_at": when(order.created_at),
    }


def fill_body(fill: Fill) -> dict[str, Any]:
    """Return a fill as the API shows it."""
    return {
        "id": fill.id,
        "order_id": fill.order_id,
        "position_id": fill.position_id,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "lots": lots(fill.lots),
        "price": price(fill.symbol, fill.price),
        "realized_pnl": money(fill.realized_pnl),
        "txn_seq": fill.txn_seq,
        "created_at": when(fill.created_at),
    }


def position_body(position: Position) -> dict[str, Any]:
    """Return a position row as the API shows it (without live valuation)."""
    return {
        "id": position.id,
        "symbol": position.symbol,
        "side": position.side.value,
        "lots": lots(position.lots),
        "max_lots": lots(position.max_lots),
        "avg_price": price(position.symbol, position.avg_price),
        "realized_pnl": money(position.realized_pnl),
        "status": position.status.value,
        "opened_at": when(position.opened_at),
        "closed_at": when(position.closed_at),
        "close_price": price(position.symbol, position.close_price),
        "close_reason": position.close_reason,
        "txn_seq": position.txn_seq,
    }


def ledger_body(entry: LedgerEntry) -> dict[str, Any]:
    """Return a ledger entry as the API shows it."""
    return {
        "id": entry.id,
        "account_id": entry.account_id,
        "kind": entry.kind.value,
        "amount": money(entry.amount),
        "balance_after": money(entry.balance_after),
        "reference": entry.reference,
        "reason": entry.reason,
        "txn_seq": entry.txn_seq,
        "created_at": when(entry.created_at),
    }
