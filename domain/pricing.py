"""Client prices, tradeability and fill prices.

Policy:
- Markup: the instrument's ``markup_points`` widen the raw spread, half on each side, and the result
  is rounded to the instrument's digits away from the client:
  ``bid = floor(raw_bid - markup_points * point / 2)`` and
  ``ask = ceil(raw_ask + markup_points * point / 2)``. An odd markup therefore costs the client
  one extra point in total; a raw price finer than ``digits`` is also rounded outward.
- Tradeability, checked in this order: when sessions are enforced and the market is closed the
  reason is MarketClosed; otherwise with no quote, or a quote older than ``staleness_seconds``
  (strictly), the reason is PriceStale. A quote stamped after ``now`` (clock skew) counts as fresh.
- A conversion rate (the mid of another symbol's quote) used by a booking must be at most the
  booking rules' age limit old (strictly older is ConversionRateStale naming the symbol).
- Orders fill at the server's price: BUY at the ask, SELL at the bid.
- A price bound is the worst acceptable price: a BUY above it or a SELL below it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from domain.errors import (
    ConversionRateStale,
    DomainError,
    MarketClosed,
    PriceBoundExceeded,
    PriceStale,
)
from domain.instruments import Instrument
from domain.positions import Side


@dataclass(frozen=True)
class ClientQuote:
    """What a client sees and trades on: the raw quote widened by the markup, and the market's
    time of the raw quote."""

    symbol: str
    bid: Decimal
    ask: Decimal
    ts_event: datetime

    @property
    def mid(self) -> Decimal:
        """Return the mid price (used for currency conversion)."""
        return (self.bid + self.ask) / 2


def client_prices(
    instrument: Instrument, raw_bid: Decimal, raw_ask: Decimal
) -> tuple[Decimal, Decimal]:
    """Return the client (bid, ask): the raw quote widened by the markup, rounded outward."""
    half_markup = instrument.markup_points * instrument.point / 2
    bid = (raw_bid - half_markup).quantize(instrument.point, rounding=ROUND_FLOOR)
    ask = (raw_ask + half_markup).quantize(instrument.point, rounding=ROUND_CEILING)
    return bid, ask


def quote_age_seconds(quote_ts: datetime, now: datetime) -> Decimal:
    """Return ``now - quote_ts`` in seconds, exactly to the microsecond."""
    age = now - quote_ts
    whole = age // timedelta(seconds=1)
    return Decimal(whole) + Decimal((age - timedelta(seconds=whole)).microseconds).scaleb(-6)


def untradeable_reason(
    instrument: Instrument, quote_ts: datetime | None, now: datetime, enforce_sessions: bool
) -> DomainError | None:
    """Return why ``instrument`` cannot be traded at ``now``, or None when it can."""
    if enforce_sessions and not instrument.session.is_open(now):
        return MarketClosed(instrument.symbol)
    if quote_ts is None:
        return PriceStale(instrument.symbol, None, instrument.staleness_seconds)
    age = quote_age_seconds(quote_ts, now)
    if age > instrument.staleness_seconds:
        return PriceStale(instrument.symbol, age, instrument.staleness_seconds)
    return None


def check_tradeable(
    instrument: Instrument, quote_ts: datetime | None, now: datetime, enforce_sessions: bool
) -> None:
    """Raise MarketClosed or PriceStale unless ``instrument`` can be traded at ``now``."""
    reason = untradeable_reason(instrument, quote_ts, now, enforce_sessions)
    if reason is not None:
        raise reason


def check_rate_fresh(symbol: str, quote_ts: datetime, now: datetime, limit_seconds: int) -> None:
    """Raise ConversionRateStale when the quote a conversion rate comes from is too old."""
    age = quote_age_seconds(quote_ts, now)
    if age > limit_seconds:
        raise ConversionRateStale(symbol, age, limit_seconds)


def fill_price(side: Side, bid: Decimal, ask: Decimal) -> Decimal:
    """Return the price an order on ``side`` fills at: BUY at ask, SELL at bid."""
    return ask if side is Side.BUY else bid


def check_price_bound(side: Side, price: Decimal, bound: Decimal | None) -> None:
    """Raise PriceBoundExceeded if ``price`` is worse for the client than ``bound``."""
    if bound is None:
        return
    worse = price > bound if side is Side.BUY else price < bound
    if worse:
        raise PriceBoundExceeded(side.value, bound, price)
