"""The stop-out scenario shared by the risk, task and maintenance tests.

Hand-computed numbers, on the real PostgreSQL and Redis:

Quotes are stored with raw bid = raw ask, so the client bid/ask are the raw price -/+ 5 points
(majors carry a 10-point markup). USD account, leverage 100, contract 100000, 1 lot each:
- opened at EURUSD 1.10000, GBPUSD 1.30000, AUDUSD 0.66000: EURUSD BUY at 1.10005, GBPUSD BUY
  at 1.30005, AUDUSD SELL at 0.65995; then the balance is withdrawn down to 4000.00.
- crash to EURUSD 1.08000, GBPUSD 1.29000, AUDUSD 0.66300: unrealised PnL EURUSD
  (1.07995 - 1.10005) x 100000 = -2010, GBPUSD (1.28995 - 1.30005) x 100000 = -1010, AUDUSD
  (0.65995 - 0.66305) x 100000 = -310; equity 4000 - 3330 = 670; used margin 1080 + 1290 + 663
  = 3033 at the mids; margin level 670 / 3033 = 22.09%.
- stop out closes EURUSD (-2010, balance 1990): 670 / 1953 = 34.31%, still <= 50; then GBPUSD
  (-1010, balance 980): 670 / 663 = 101.06% > 50, so AUDUSD stays open.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import redis
from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy import select, text

from domain.positions import Side
from domain.records import LedgerKind
from models import User, db
from schemas.account import AccountSchema
from services.accounts import account_summary, adjust_balance
from services.booking import Collaborators, collaborators_from
from services.orders import OrderRequest, place_market_order
from services.users import primary_account
from tests.helpers import register
from tests.invariants import account_balance
from tests.quotes import put_quote

OPEN = {"EURUSD": "1.10000", "GBPUSD": "1.30000", "AUDUSD": "0.66000"}
CRASH = {"EURUSD": "1.08000", "GBPUSD": "1.29000", "AUDUSD": "0.66300"}
STOP_OUT_LEVEL = Decimal(50)
MARGIN_CALL_LEVEL = Decimal(100)
TABLES = ("accounts", "positions", "orders", "fills", "ledger_entries")


def now() -> datetime:
    return datetime.now(UTC)


def put_prices(client: redis.Redis, mids: dict[str, str], age: timedelta = timedelta(0)) -> None:
    """Store raw bid = raw ask = the given price for each symbol."""
    for symbol, mid in mids.items():
        put_quote(client, symbol, mid, mid, age=age)


def collaborators(client: redis.Redis) -> Collaborators:
    """The booking collaborators of the test app (needs an app context), sessions not enforced."""
    config = {**current_app.config, "ENFORCE_MARKET_HOURS": False}
    return collaborators_from(config, db.engine, client)


def new_account(client: FlaskClient) -> int:
    """Register a trader through the API (100000.00 USD demo balance); return the account id."""
    username = register(client)
    user = db.session.scalar(select(User).where(User.username == username))
    assert user is not None
    account = primary_account(db.session, user.id)
    assert account is not None
    account_id = account.id
    db.session.rollback()
    return account_id


def open_position(deps: Collaborators, account_id: int, symbol: str, side: Side, lots: str) -> int:
    request = OrderRequest(account_id, symbol, side, Decimal(lots))
    return place_market_order(deps, request, now()).position.id


def withdraw_to(deps: Collaborators, account_id: int, balance: str) -> None:
    amount = account_balance(account_id) - Decimal(balance)
    adjust_balance(
        db.session, deps, account_id, LedgerKind.WITHDRAWAL, amount, "test withdrawal", 0
    )


def stop_out_account(client: FlaskClient, deps: Collaborators) -> dict[str, int]:
    """Build the account of the module docstring at the opening prices; return its ids."""
    put_prices(deps.publisher.client, OPEN)
    account_id = new_account(client)
    ids = {
        "account": account_id,
        "EURUSD": open_position(deps, account_id, "EURUSD", Side.BUY, "1"),
        "GBPUSD": open_position(deps, account_id, "GBPUSD", Side.BUY, "1"),
        "AUDUSD": open_position(deps, account_id, "AUDUSD", Side.SELL, "1"),
    }
    withdraw_to(deps, account_id, "4000")
    return ids


def margin_call_account(client: FlaskClient, deps: Collaborators) -> int:
    """GBPUSD BUY 1 lot at 1.30005, balance 2200: at 1.29000 equity 1190 / margin 1290 = 92.25%."""
    account_id = new_account(client)
    open_position(deps, account_id, "GBPUSD", Side.BUY, "1")
    withdraw_to(deps, account_id, "2200")
    return account_id


def snapshot() -> dict[str, list[Any]]:
    """Return every row of the booking tables, by id."""
    rows = {
        table: [
            tuple(row) for row in db.session.execute(text(f"SELECT * FROM {table} ORDER BY id"))
        ]
        for table in TABLES
    }
    db.session.rollback()
    return rows


def summary(deps: Collaborators, account_id: int) -> dict[str, Any]:
    """Return the account as GET /api/account shows it."""
    body: dict[str, Any] = AccountSchema().dump(account_summary(deps.sql, deps.quotes, account_id))
    return body
