"""Account use cases: lock, value with current quotes, adjust the balance (admin).

Valuation uses the latest quote of every open position's symbol even when it is stale (a
valuation is a display, not a fill); a position with no quote at all makes the valuation fail
with PRICE_STALE rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import redis
from sqlalchemy import select

from domain.errors import (
    AccountDisabled,
    InsufficientFunds,
    InvalidAmount,
    NoConversionRate,
    PriceStale,
)
from domain.instruments import get_instrument
from domain.margin import AccountValuation, OpenPosition, value_account
from domain.positions import PositionState
from models import Account, AccountStatus, LedgerEntry, LedgerKind, Position, PositionStatus
from models.base import DbSession
from services import ledger, realtime
from services.present import money
from services.quotes import ClientQuote, QuoteStore


class AccountNotFound(LookupError):
    """No such account (or not the caller's)."""


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


def open_positions(session: DbSession, account_id: int) -> list[Position]:
    """Return the account's open positions, by symbol."""
    query = (
        select(Position)
        .where(Position.account_id == account_id, Position.status == PositionStatus.OPEN)
        .order_by(Position.symbol)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def position_state(position: Position) -> PositionState:
    """Return the domain state of an open position row."""
    sign = 1 if position.side == "BUY" else -1
    return PositionState(position.symbol, position.lots * sign, position.avg_price)


@dataclass(frozen=True)
class Market:
    """Client quotes and conversion rates at one moment."""

    quotes: dict[str, ClientQuote]
    rates: dict[str, Decimal]

    @classmethod
    def load(cls, store: QuoteStore) -> Market:
        """Read every catalogue quote once."""
        quotes = store.client_quotes()
        return cls(quotes, {symbol: quote.mid for symbol, quote in quotes.items()})

    def bid_ask(self) -> dict[str, tuple[Decimal, Decimal]]:
        """Return symbol -> (bid, ask)."""
        return {symbol: (q.bid, q.ask) for symbol, q in self.quotes.items()}


def valuate(account: Account, positions: list[Position], market: Market) -> AccountValuation:
    """Value the account at the market's prices."""
    open_ = [OpenPosition(get_instrument(p.symbol), position_state(p)) for p in positions]
    return value_account(
        account.balance, account.currency, account.leverage, open_, market.bid_ask(), market.rates
    )


def valuation_body(valuation: AccountValuation, account: Account) -> dict[str, Any]:
    """Return the account as the API shows it."""
    return {
        "id": account.id,
        "currency": account.currency,
        "balance": money(valuation.balance),
        "equity": money(valuation.equity),
        "unrealized_pnl": money(valuation.unrealized_pnl),
        "used_margin": money(valuation.used_margin),
        "free_margin": money(valuation.free_margin),
        "margin_level": money(valuation.margin_level),
        "leverage": account.leverage,
        "status": account.status.value,
        "txn_seq": account.txn_seq,
    }


def account_summary(session: DbSession, account: Account, store: QuoteStore) -> dict[str, Any]:
    """Value an account with current quotes and return it as the API shows it.

    When an open position has no quote (or no conversion rate), e.g. right after Redis lost its
    data, the booked figures are still shown and the live ones are null, with `valuation_error`
    saying why, rather than failing the whole request or guessing a price.
    """
    try:
        valuation = valuate(account, open_positions(session, account.id), Market.load(store))
    except (PriceStale, NoConversionRate) as exc:
        return unvalued_body(account, exc)
    return valuation_body(valuation, account)


def unvalued_body(account: Account, reason: Exception) -> dict[str, Any]:
    """Return the account's booked figures with its live valuation unknown."""
    unknown = dict.fromkeys(
        ("equity", "unrealized_pnl", "used_margin", "free_margin", "margin_level")
    )
    return {
        "id": account.id,
        "currency": account.currency,
        "balance": money(account.balance),
        **unknown,
        "leverage": account.leverage,
        "status": account.status.value,
        "txn_seq": account.txn_seq,
        "valuation_error": str(reason),
    }


def adjust_balance(
    session: DbSession,
    store: QuoteStore,
    publisher: redis.Redis,
    account_id: int,
    kind: LedgerKind,
    amount: Decimal,
    reason: str,
    actor_id: int,
    now: datetime,
) -> LedgerEntry:
    """Deposit, withdraw or adjust; a withdrawal never takes free margin below zero; commit."""
    if kind not in {LedgerKind.DEPOSIT, LedgerKind.WITHDRAWAL, LedgerKind.ADJUSTMENT}:
        raise InvalidAmount(f"{kind.value} cannot be booked by hand")
    if amount == 0 or (kind != LedgerKind.ADJUSTMENT and amount < 0):
        raise InvalidAmount("amount must be positive (use kind to say the direction)")
    signed = -amount if kind == LedgerKind.WITHDRAWAL else amount
    account = lock_account(session, account_id)
    if signed < 0:
        if account.status != AccountStatus.ACTIVE:
            raise AccountDisabled(account.id)
        valuation = valuate(account, open_positions(session, account.id), Market.load(store))
        if valuation.free_margin + signed < 0:
            raise InsufficientFunds(
                -signed, max(valuation.free_margin, Decimal(0)), account.currency
            )
    entry = ledger.book(session, account, kind, signed, f"admin:{actor_id}", reason, now=now)
    session.commit()
    payload = {
        "account": account_summary(session, account, store),
        "ledger_entry": {"id": entry.id, "kind": kind.value, "amount": money(entry.amount)},
    }
    event = realtime.account_event(realtime.ACCOUNT_UPDATED, account.id, account.txn_seq, payload)
    realtime.publish_account_events(publisher, [event])
    return entry
