"""The one booking path: every order that changes a position is booked here, and only here.

Client market orders, closes and exits, the older frontend's `sim/fill`, and stop outs all come
as a request that is resolved against the account's book into a ticket (symbol, side, lots),
priced at the server's quote and booked in one unit of work:

1. read the account, its open positions, any order already booked under the request's
   `client_order_id`, the database's clock and ids for the new rows: ONE statement
   (services.book_store.read_book);
2. read the quotes the booking needs (its symbol, the symbols the account holds and the
   conversion pairs into the account currency): ONE Redis round trip;
3. refuse an untradeable quote (MARKET_CLOSED, PRICE_STALE) or a price past the client's bound,
   then check margin, net the fill and value the account after it with the domain
   (domain.booking.book_fill), in Python;
4. write the order, its fill(s), the position changes, the ledger entries and the account:
   ONE statement that commits by itself, and only if the account is unchanged since step 1;
5. publish `order.filled`, `position.changed` and `account.updated` after the commit.

Concurrency: optimistic. When another booking on the same account committed between steps 1
and 4, step 4 writes nothing and the booking starts again from step 1 (each try sees the other's
result, so nothing is booked twice or on a stale position). A database connection found dead at
step 1 is replaced and the booking tried again; one that dies during step 4 leaves the outcome
unknown, so the error reaches the client, whose retry with the same `client_order_id` returns
the booking if it was made. After OPTIMISTIC_TRIES such
conflicts the booking takes the account row lock (SELECT ... FOR UPDATE) first, in a
transaction, so a hot account still makes progress. Orders on different accounts never wait
for each other.

Idempotency: a request with a `client_order_id` already booked on the account returns the
stored result of the first booking (same body) or raises DuplicateClientOrderId (another body).
The booking time of every row is the database's clock at step 1, so on one account a later
transaction never carries an earlier time.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import redis
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from domain.booking import Booking, BookingRules, OrderTicket, book_fill
from domain.booking import Market as PricedMarket
from domain.conversion import rate_with_symbols
from domain.errors import AccountDisabled, DuplicateClientOrderId, NoConversionRate, PriceStale
from domain.instruments import Instrument, get_instrument
from domain.margin import is_reducing
from domain.pricing import (
    ClientQuote,
    check_price_bound,
    check_rate_fresh,
    check_tradeable,
    fill_price,
)
from domain.records import (
    AccountStatus,
    AccountSummary,
    FillRecord,
    LedgerKind,
    LedgerRecord,
    OrderReason,
    OrderRecord,
    PositionRecord,
)
from schemas.orders import OrderResultSchema
from services.book_store import AccountBook, StoredOrder, autocommit, read_book, write_booking
from services.events import AccountEvent, AccountUpdated, OrderFilled, PositionChanged
from services.quotes import Market, QuoteStore, symbols_to_value
from services.realtime import Channels, Publisher

log = logging.getLogger(__name__)

OPTIMISTIC_TRIES = 3
LOCK_ACCOUNT = text("SELECT id FROM accounts WHERE id = :account_id FOR UPDATE")
RESULT = OrderResultSchema()


class AccountNotFound(LookupError):
    """No such account."""


@dataclass(frozen=True)
class Collaborators:
    """What a booking needs: the database, the quotes, the publisher and the session rule."""

    sql: Engine
    quotes: QuoteStore
    publisher: Publisher
    enforce_sessions: bool
    rules: BookingRules = field(default_factory=BookingRules)


def collaborators_from(
    config: Mapping[str, Any], sql: Engine, client: redis.Redis
) -> Collaborators:
    """Return the collaborators of a process from its app config, database and Redis client."""
    channels = Channels.with_prefix(str(config["REDIS_CHANNEL_PREFIX"]))
    rules = BookingRules(
        pre_trade_min_level=Decimal(str(config["PRE_TRADE_MARGIN_LEVEL"])),
        negative_balance_protection=bool(config["NEGATIVE_BALANCE_PROTECTION"]),
        conversion_max_age_seconds=int(config["CONVERSION_MAX_AGE_SECONDS"]),
    )
    return Collaborators(
        sql=sql,
        quotes=QuoteStore(client),
        publisher=Publisher(client, channels),
        enforce_sessions=bool(config["ENFORCE_MARKET_HOURS"]),
        rules=rules,
    )


@dataclass(frozen=True)
class OrderResult:
    """A booked order: the order, its fills, the position it leaves, the account after it."""

    order: OrderRecord
    fills: tuple[FillRecord, ...]
    position: PositionRecord
    account: AccountSummary

    @property
    def fill(self) -> FillRecord:
        """Return the last fill (the only one unless the order crossed zero)."""
        return self.fills[-1]


class BookingRequest(Protocol):
    """Something to book: resolved against the account's book into a ticket."""

    @property
    def account_id(self) -> int:
        """Return the account to book on."""
        ...

    @property
    def client_order_id(self) -> str | None:
        """Return the client's idempotency key, if any."""
        ...

    @property
    def reason(self) -> OrderReason:
        """Return who or what asks (a client's order is checked for margin)."""
        ...

    @property
    def symbol(self) -> str | None:
        """Return the symbol, when the request names it."""
        ...

    @property
    def may_open(self) -> bool:
        """Return whether the booking may open a new position."""
        ...

    def digest(self) -> str:
        """Return a digest of what defines the request (for idempotent retries)."""
        ...

    def resolve(self, book: AccountBook) -> OrderTicket:
        """Return the ticket to book on this account, or raise why there is none."""
        ...


def request_digest(*parts: object) -> str:
    """Return the digest of a request's defining fields (Decimals normalised)."""
    text_parts = [
        "" if part is None else str(part.normalize() if isinstance(part, Decimal) else part)
        for part in parts
    ]
    return hashlib.sha256("|".join(text_parts).encode()).hexdigest()


def book(deps: Collaborators, request: BookingRequest, now: datetime) -> OrderResult:
    """Book the request at the server's price; return the result (or the stored one)."""
    for _ in range(OPTIMISTIC_TRIES):
        with autocommit(deps.sql).connect() as connection:
            booked = _try(connection, deps, request, now)
        if booked is not None:
            return _after_commit(deps, booked)
    log.info("event=booking_contended account_id=%s", request.account_id)
    with deps.sql.begin() as connection:
        connection.execute(LOCK_ACCOUNT, {"account_id": request.account_id})
        booked = _try(connection, deps, request, now)
    if booked is None:
        raise RuntimeError(f"account {request.account_id} changed under its own row lock")
    return _after_commit(deps, booked)


@dataclass(frozen=True)
class _Booked:
    result: OrderResult
    booking: Booking | None = None  # None: a replay, nothing was booked now
    entries: tuple[LedgerRecord, ...] = ()


def _try(
    connection: Connection, deps: Collaborators, request: BookingRequest, now: datetime
) -> _Booked | None:
    """Read, price, plan and write once; None when the account changed meanwhile."""
    try:
        book_ = read_book(
            connection, request.account_id, request.symbol, request.client_order_id,
            allocate=True, may_open=request.may_open,
        )  # fmt: skip
    except DBAPIError as exc:
        if exc.connection_invalidated:
            return None  # the connection died before anything was written: try again
        raise
    if book_ is None:
        raise AccountNotFound(request.account_id)
    if book_.stored is not None:
        return _Booked(_replay(book_.stored, request), None)
    if book_.account.status is not AccountStatus.ACTIVE and request.reason is OrderReason.CLIENT:
        raise AccountDisabled(book_.account.id)
    ticket = request.resolve(book_)
    instrument = get_instrument(ticket.symbol)
    instrument.validate_lots(ticket.lots)
    held = [p.symbol for p in book_.positions]
    market = Market.load(
        deps.quotes, symbols_to_value([ticket.symbol, *held], book_.account.currency)
    )
    quote = _tradeable_quote(market, instrument, ticket, now, deps.enforce_sessions)
    current = book_.held(ticket.symbol)
    reducing = is_reducing(current.state if current else None, ticket.side, ticket.lots)
    _check_rates_fresh(market, instrument, book_.account.currency, reducing, now, deps.rules)
    booking = book_fill(
        book_.account, book_.positions, ticket, instrument,
        PricedMarket(quote, market.bid_ask(), market.rates), book_.ids, book_.read_at,
        deps.rules, check_margin=request.reason is OrderReason.CLIENT,
    )  # fmt: skip
    result = OrderResult(booking.order, booking.fills, booking.position, booking.summary)
    body = RESULT.dump(result)
    entry_ids = write_booking(connection, book_.account, booking, request.digest(), body)
    if entry_ids is None:
        return None
    return _Booked(result, booking, _ledger_records(booking, entry_ids))


def _ledger_records(booking: Booking, ids: Mapping[str, int]) -> tuple[LedgerRecord, ...]:
    """Return the booking's ledger entries as written (one of each kind), with their ids."""
    account, at = booking.account, booking.order.created_at
    return tuple(
        LedgerRecord(
            ids[entry.kind.value],
            account.id,
            entry.kind,
            entry.amount,
            entry.balance_after,
            entry.reference,
            entry.reason,
            account.txn_seq,
            at,
        )
        for entry in booking.entries
    )


def _replay(stored: StoredOrder, request: BookingRequest) -> OrderResult:
    """Return the stored result of an already booked client_order_id (same request only)."""
    if stored.request_hash != request.digest():
        raise DuplicateClientOrderId(request.client_order_id or "")
    body = stored.result
    if "fills" not in body:  # stored before an order could have two fills
        body = {**body, "fills": [body["fill"]]}
    loaded = RESULT.load(body)
    return OrderResult(
        loaded["order"], tuple(loaded["fills"]), loaded["position"], loaded["account"]
    )


def _tradeable_quote(
    market: Market,
    instrument: Instrument,
    ticket: OrderTicket,
    now: datetime,
    enforce_sessions: bool,
) -> ClientQuote:
    """Return the quote the order fills at, refusing stale or out-of-bound prices."""
    quote = market.quotes.get(instrument.symbol)
    if quote is None:
        raise PriceStale(instrument.symbol, None, instrument.staleness_seconds)
    check_tradeable(instrument, quote.ts_event, now, enforce_sessions)
    price = fill_price(ticket.side, quote.bid, quote.ask)
    check_price_bound(ticket.side, price, ticket.price_bound)
    return quote


def _check_rates_fresh(
    market: Market,
    instrument: Instrument,
    currency: str,
    reducing: bool,
    now: datetime,
    rules: BookingRules,
) -> None:
    """Refuse the booking when a conversion rate it uses is too old.

    A booking converts its PnL (quote currency -> account currency) and, unless it reduces a
    position, its margin (base currency -> account currency). The traded symbol's own quote has
    its own staleness limit, checked as the fill price. A rate that cannot be found at all is
    refused where it is needed (NoConversionRate).
    """
    needed = [instrument.quote_currency] + ([] if reducing else [instrument.base_currency])
    for source in needed:
        try:
            _, symbols = rate_with_symbols(source, currency, market.rates)
        except NoConversionRate:
            continue
        for symbol in symbols:
            if symbol != instrument.symbol:
                ts_event = market.quotes[symbol].ts_event
                check_rate_fresh(symbol, ts_event, now, rules.conversion_max_age_seconds)


def _after_commit(deps: Collaborators, booked: _Booked) -> OrderResult:
    """Publish a new booking's events (a replay publishes nothing); return the result."""
    if booked.booking is not None:
        deps.publisher.account_events(booking_events(booked.booking, booked.entries))
        for entry in booked.entries:
            if entry.kind is LedgerKind.NEGATIVE_BALANCE_RESET:
                log.error(
                    "event=alert alert=negative_balance_reset account_id=%s amount=%s entry_id=%s",
                    entry.account_id, entry.amount, entry.id,
                )  # fmt: skip
    return booked.result


def booking_events(booking: Booking, entries: Sequence[LedgerRecord]) -> list[AccountEvent]:
    """Return the events of a booking, all carrying the account's new sequence number.

    `account.updated` carries the ledger entry a client should be told of beside its fills: a
    negative balance reset (realised PnL is on the fill already).
    """
    account_id, seq = booking.account.id, booking.account.txn_seq
    reset = next((e for e in entries if e.kind is LedgerKind.NEGATIVE_BALANCE_RESET), None)
    return [
        OrderFilled(account_id, seq, booking.order, booking.fills),
        *(PositionChanged(account_id, seq, p) for p in (*booking.updated, *booking.opened)),
        AccountUpdated(account_id, seq, booking.summary, reset),
    ]
