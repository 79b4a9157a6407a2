"""The pre-trade margin check as a question: what would this order need, and would it pass now?

Policy:
- The order is priced as POST /api/orders would fill it now (BUY at the client ask, SELL at the
  client bid) and checked with domain.margin.check_order against the account valued at the same
  quotes. Nothing is written and nothing is locked: the answer can be out of date a moment later.
- The refusal reported is the first one the order itself would meet, in the same order:
  INVALID_LOTS, ACCOUNT_DISABLED, MARKET_CLOSED / PRICE_STALE, INSUFFICIENT_MARGIN.
  A reducing order is never refused for margin.
- With no quote at all for the symbol nothing can be computed: PriceStale is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.errors import (
    AccountDisabled,
    DomainError,
    InsufficientMargin,
    InvalidLots,
    PriceStale,
)
from domain.instruments import Instrument, get_instrument
from domain.margin import MarginCheck, assert_order_allowed, check_order
from domain.positions import Side
from domain.pricing import fill_price, untradeable_reason
from models import Account, AccountStatus
from models.base import DbSession
from services.accounts import Market, open_positions, position_state, valuate
from services.present import lots as lots_text
from services.present import money, price
from services.quotes import QuoteStore


@dataclass(frozen=True)
class MarginWhatIf:
    """An order's margin at the current price, and the refusal it would meet (None: accepted)."""

    symbol: str
    side: Side
    lots: Decimal
    price: Decimal
    used_margin: Decimal
    free_margin: Decimal
    check: MarginCheck
    refusal: DomainError | None

    @property
    def allowed(self) -> bool:
        """Return whether the order would be accepted now."""
        return self.refusal is None


def what_if(
    session: DbSession,
    store: QuoteStore,
    account: Account,
    symbol: str,
    side: Side,
    lots: Decimal,
    now: datetime,
    enforce_sessions: bool = True,
) -> MarginWhatIf:
    """Check an order against the account's margin at the current server price; write nothing."""
    instrument = get_instrument(symbol)
    market = Market.load(store)
    quote = market.quotes.get(symbol)
    if quote is None:
        raise PriceStale(symbol, None, instrument.staleness_seconds)
    at = fill_price(side, quote.bid, quote.ask)
    rows = open_positions(session, account.id)
    row = next((p for p in rows if p.symbol == symbol), None)
    valuation = valuate(account, rows, market)
    check = check_order(
        valuation, instrument, position_state(row) if row else None, side, lots, at,
        account.leverage, account.currency, market.rates,
    )  # fmt: skip
    tradeable = untradeable_reason(instrument, quote.ts_event, now, enforce_sessions)
    return MarginWhatIf(
        symbol=symbol,
        side=side,
        lots=lots,
        price=at,
        used_margin=valuation.used_margin,
        free_margin=valuation.free_margin,
        check=check,
        refusal=_refusal(account, instrument, lots, tradeable, check),
    )


def _refusal(
    account: Account,
    instrument: Instrument,
    lots: Decimal,
    untradeable: DomainError | None,
    check: MarginCheck,
) -> DomainError | None:
    """Return the first refusal the order would meet, in the order placing it checks them."""
    try:
        instrument.validate_lots(lots)
    except InvalidLots as error:
        return error
    if account.status != AccountStatus.ACTIVE:
        return AccountDisabled(account.id)
    if untradeable is not None:
        return untradeable
    try:
        assert_order_allowed(check)
    except InsufficientMargin as error:
        return error
    return None


def what_if_body(result: MarginWhatIf, reason: str | None) -> dict[str, Any]:
    """Return the check as the API shows it, with the refusal's error_code as `reason`."""
    check = result.check
    return {
        "symbol": result.symbol,
        "side": result.side.value,
        "lots": lots_text(result.lots),
        "price": price(result.symbol, result.price),
        "currency": check.currency,
        "required_margin": money(check.required_margin),
        "used_margin": money(result.used_margin),
        "used_margin_after": money(check.used_margin_after),
        "free_margin": money(result.free_margin),
        "free_margin_after": money(check.free_margin_after),
        "allowed": result.allowed,
        "reducing": check.reducing,
        "reason": reason,
        "message": None if result.refusal is None else str(result.refusal),
    }
