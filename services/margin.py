"""The pre-trade margin check as a question: what would this order need, and would it pass now?

Policy:
- The order is priced as POST /api/orders would fill it now (BUY at the client ask, SELL at the
  client bid) and checked with domain.margin.check_order, with the same rules as a booking,
  against the account valued at the same quotes right after the fill. Nothing is written and
  nothing is locked: the answer can be out of date a moment later.
- The refusal reported is the first one the order itself would meet, in the same order:
  INVALID_LOTS, ACCOUNT_DISABLED, MARKET_CLOSED / PRICE_STALE, INSUFFICIENT_MARGIN.
  A reducing order is never refused for margin.
- With no quote at all for the symbol nothing can be computed: PriceStale is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.errors import (
    AccountDisabled,
    DomainError,
    InsufficientMargin,
    InvalidLots,
    PriceStale,
)
from domain.instruments import Instrument, get_instrument
from domain.margin import (
    MarginCheck,
    OrderAtPrice,
    assert_order_allowed,
    check_order,
    value_account,
)
from domain.positions import Side
from domain.pricing import fill_price, untradeable_reason
from domain.records import AccountState, AccountStatus
from domain.valuation import open_positions_of
from services.book_store import read_current
from services.booking import AccountNotFound, Collaborators
from services.quotes import Market, symbols_to_value


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
    deps: Collaborators,
    account_id: int,
    symbol: str,
    side: Side,
    lots: Decimal,
    now: datetime,
) -> MarginWhatIf:
    """Check an order against the account's margin at the current server price; write nothing."""
    instrument = get_instrument(symbol)
    book = read_current(deps.sql, account_id)
    if book is None:
        raise AccountNotFound(account_id)
    account, held = book.account, book.positions
    symbols = symbols_to_value([symbol, *(p.symbol for p in held)], account.currency)
    market = Market.load(deps.quotes, symbols)
    quote = market.quotes.get(symbol)
    if quote is None:
        raise PriceStale(symbol, None, instrument.staleness_seconds)
    at = fill_price(side, quote.bid, quote.ask)
    current = next((p for p in held if p.symbol == symbol), None)
    valuation = value_account(
        account.balance, account.currency, account.leverage, open_positions_of(held),
        market.bid_ask(), market.rates,
    )  # fmt: skip
    check = check_order(
        valuation, instrument, current.state if current else None,
        OrderAtPrice(side, lots, at, quote.bid, quote.ask), account.leverage, market.rates,
        deps.rules.pre_trade_min_level,
    )  # fmt: skip
    tradeable = untradeable_reason(instrument, quote.ts_event, now, deps.enforce_sessions)
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
    account: AccountState,
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
    if account.status is not AccountStatus.ACTIVE:
        return AccountDisabled(account.id)
    if untradeable is not None:
        return untradeable
    try:
        assert_order_allowed(check)
    except InsufficientMargin as error:
        return error
    return None
