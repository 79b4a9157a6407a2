"""Account use cases: value an account now, list accounts, adjust a balance by hand (admin).

Valuation uses the latest quote of every held symbol even when it is stale (a valuation is a
display, not a fill); a held symbol with no quote at all, or a missing conversion rate, leaves
the live figures null with `valuation_error` saying why (domain.valuation).

A hand-booked change of balance (deposit, withdrawal, adjustment) locks the account row
(SELECT ... FOR UPDATE), is stamped with the database's clock read under that lock, advances the
account's transaction sequence and commits; a withdrawal never takes free margin below zero. An
amount finer than the account currency's minor unit (ISO 4217: JPY has none) is refused.
Nothing after the commit can turn a booked deposit into an error: the account is valued before
the commit from what was read under the lock (null live figures, with the reason, when Redis is
down), and publishing `account.updated` only logs a failure. An optional idempotency key makes a
retry return the first result (services.idempotency).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import redis
from sqlalchemy import Engine, select

from domain.conversion import minor_unit_digits, round_money
from domain.errors import AccountDisabled, InsufficientFunds, InvalidAmount
from domain.records import (
    AccountState,
    AccountStatus,
    AccountSummary,
    LedgerKind,
    LedgerRecord,
)
from domain.valuation import summarize_account, unvalued
from models import Account, User
from models.base import DbSession
from schemas.admin import AdjustmentResultSchema
from services import ledger
from services.book_store import AccountBook, read_book, read_current
from services.booking import AccountNotFound, Collaborators, request_digest
from services.events import AccountUpdated
from services.history import Page
from services.idempotency import IdempotencyKey, remember, stored_result
from services.quotes import Market, QuoteStore, symbols_to_value
from services.rows import ledger_record


def account_summary(sql: Engine, store: QuoteStore, account_id: int) -> AccountSummary:
    """Return the account's booked figures and its valuation at the current quotes."""
    book = read_current(sql, account_id)
    if book is None:
        raise AccountNotFound(account_id)
    symbols = symbols_to_value([p.symbol for p in book.positions], book.account.currency)
    market = Market.load(store, symbols)
    return summarize_account(book.account, book.positions, market.bid_ask(), market.rates)


def lock_account(session: DbSession, account_id: int) -> Account:
    """Return the account row locked FOR UPDATE until the transaction ends.

    populate_existing: an Account already in the session (loaded before the lock) is refreshed
    from the locked row, so balance and txn_seq are never stale.
    """
    query = (
        select(Account)
        .where(Account.id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    account = session.scalar(query)
    if account is None:
        raise AccountNotFound(account_id)
    return account


@dataclass(frozen=True)
class Adjustment:
    """A booked hand adjustment: its ledger entry and the account after it."""

    entry: LedgerRecord
    account: AccountSummary
    replayed: bool = False  # the stored result of an earlier request with the same key


ADJUSTMENT_RESULT = AdjustmentResultSchema()
ADJUSTMENT_OPERATION = "balance_adjustment"


def adjust_balance(
    session: DbSession,
    deps: Collaborators,
    account_id: int,
    kind: LedgerKind,
    amount: Decimal,
    reason: str,
    actor_id: int,
    idempotency_key: str | None = None,
) -> Adjustment:
    """Deposit, withdraw or adjust; a withdrawal never takes free margin below zero; commit.

    With an idempotency key, a retry of the same request returns the first result and books
    nothing (services.idempotency); the result is stored in the entry's transaction.
    """
    if kind not in {LedgerKind.DEPOSIT, LedgerKind.WITHDRAWAL, LedgerKind.ADJUSTMENT}:
        raise InvalidAmount(f"{kind.value} cannot be booked by hand")
    if amount == 0 or (kind != LedgerKind.ADJUSTMENT and amount < 0):
        raise InvalidAmount("amount must be positive (use kind to say the direction)")
    signed = -amount if kind == LedgerKind.WITHDRAWAL else amount
    account = lock_account(session, account_id)
    keyed = None
    if idempotency_key is not None:
        digest = request_digest(ADJUSTMENT_OPERATION, account_id, kind.value, amount, reason)
        keyed = IdempotencyKey(ADJUSTMENT_OPERATION, actor_id, idempotency_key, digest)
        stored = stored_result(session, keyed)
        if stored is not None:
            session.rollback()
            loaded = ADJUSTMENT_RESULT.load(stored)
            return Adjustment(loaded["entry"], loaded["account"], replayed=True)
    if round_money(amount, account.currency) != amount:
        digits = minor_unit_digits(account.currency)
        session.rollback()
        raise InvalidAmount(f"{account.currency} amounts have {digits} decimal places")
    book = read_book(session.connection(), account_id)
    assert book is not None  # the row is locked
    if signed < 0:
        _check_funds(deps.quotes, book, signed)
    entry = ledger.book(
        session, account, kind, signed, f"admin:{actor_id}", reason, now=book.read_at
    )
    session.flush()
    record = ledger_record(entry)
    after = replace(book.account, balance=record.balance_after, txn_seq=record.txn_seq)
    adjustment = Adjustment(record, _valued(deps.quotes, after, book))
    if keyed is not None:
        remember(session, keyed, ADJUSTMENT_RESULT.dump(adjustment))
    session.commit()
    event = AccountUpdated(account_id, record.txn_seq, adjustment.account, record)
    deps.publisher.account_events([event])
    return adjustment


def _valued(store: QuoteStore, account: AccountState, book: AccountBook) -> AccountSummary:
    """Value the account as it will be after the entry; without Redis, booked figures only.

    Nothing here reads the database again or can fail the booking: the live figures are then
    null, with the reason.
    """
    try:
        market = Market.load(
            store, symbols_to_value([p.symbol for p in book.positions], account.currency)
        )
    except redis.RedisError as exc:
        return unvalued(account, f"quotes unavailable: {exc}")
    return summarize_account(account, book.positions, market.bid_ask(), market.rates)


def _check_funds(store: QuoteStore, book: AccountBook, signed: Decimal) -> None:
    """Refuse a withdrawal (or negative adjustment) beyond the account's free margin."""
    account = book.account
    if account.status is not AccountStatus.ACTIVE:
        raise AccountDisabled(account.id)
    symbols = symbols_to_value([p.symbol for p in book.positions], account.currency)
    market = Market.load(store, symbols)
    summary = summarize_account(account, book.positions, market.bid_ask(), market.rates)
    free = summary.free_margin
    if free is None:
        raise InsufficientFunds(-signed, Decimal(0), account.currency)
    if free + signed < 0:
        raise InsufficientFunds(-signed, max(free, Decimal(0)), account.currency)


@dataclass(frozen=True)
class AccountListing:
    """An account as the admin list shows it."""

    id: int
    user_id: int
    username: str
    currency: str
    balance: Decimal
    leverage: int
    status: AccountStatus
    txn_seq: int


def account_page(session: DbSession, limit: int, before_id: int | None) -> Page[AccountListing]:
    """Return up to `limit` accounts, newest first, older than `before_id` when given."""
    query = select(Account, User.username).join(User).order_by(Account.id.desc())
    if before_id is not None:
        query = query.where(Account.id < before_id)
    rows = session.execute(query.limit(limit + 1)).all()
    items = [
        AccountListing(
            id=account.id, user_id=account.user_id, username=username,
            currency=account.currency, balance=account.balance, leverage=account.leverage,
            status=account.status, txn_seq=account.txn_seq,
        )
        for account, username in rows[:limit]
    ]  # fmt: skip
    more = len(rows) > limit
    return Page(items, items[-1].id if more else None)
