"""Margin requirement, account valuation and the pre-trade margin check.

Policy:
- Effective leverage is the lower of the account's leverage and the instrument's ``max_leverage``.
- Required margin = lots x contract_size / effective leverage, in the BASE currency, converted to
  the account currency; ``required_margin`` returns it unrounded.
- Valuation: each position's unrealised PnL (longs at the client bid, shorts at the client ask)
  is converted quote -> account currency; the sums of unrealised PnL and of margins are each
  rounded once to the account currency's minor unit, half-even. Then
  equity = balance + unrealized_pnl, free_margin = equity - used_margin and
  margin_level = equity / used_margin x 100 rounded half-even to 2 decimal places
  (None when used_margin is 0).
- Pre-trade check: used_margin_after = used_margin - margin(current position)
  + margin(position after the fill), rounded to the minor unit; free_margin_after =
  equity - used_margin_after. Equity is taken unchanged: the spread paid by the fill itself
  (filled at the ask or bid while longs are valued at the bid) is not deducted.
  A reducing order (opposite side, no more lots than the position, so it neither grows nor
  flips it) is always allowed; any other order is allowed iff free_margin_after >= 0.
- A refusal reports the margin the position would need after the trade (``required``) against the
  margin available to it (``free`` = free_margin_after + required), so it is refused exactly
  when required > free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from domain.conversion import convert, round_money
from domain.errors import InsufficientMargin, PriceStale
from domain.instruments import Instrument
from domain.positions import PositionState, Side, apply_fill, unrealized_pnl

MARGIN_LEVEL_QUANTUM = Decimal("0.01")
_ZERO = Decimal(0)


def effective_leverage(instrument: Instrument, account_leverage: int) -> int:
    """Return the lower of the account's leverage and the instrument's maximum."""
    if account_leverage <= 0:
        raise ValueError(f"account leverage must be positive, got {account_leverage}")
    return min(account_leverage, instrument.max_leverage)


def required_margin(
    instrument: Instrument,
    lots: Decimal,
    account_leverage: int,
    account_currency: str,
    rates: Mapping[str, Decimal],
) -> Decimal:
    """Return the unrounded margin ``lots`` of ``instrument`` need, in the account currency."""
    if lots == 0:
        return _ZERO
    in_base = lots * instrument.contract_size / effective_leverage(instrument, account_leverage)
    return convert(in_base, instrument.base_currency, account_currency, rates)


@dataclass(frozen=True)
class OpenPosition:
    """A position together with the instrument it is in."""

    instrument: Instrument
    state: PositionState


@dataclass(frozen=True)
class AccountValuation:
    """An account's balance, equity and margin at one set of prices, in its currency."""

    balance: Decimal
    unrealized_pnl: Decimal
    equity: Decimal
    used_margin: Decimal
    free_margin: Decimal
    margin_level: Decimal | None
    currency: str


def margin_level(equity: Decimal, used_margin: Decimal) -> Decimal | None:
    """Return equity / used_margin x 100 to 2 decimal places, or None with no margin used."""
    if used_margin == 0:
        return None
    level = equity / used_margin * 100
    return level.quantize(MARGIN_LEVEL_QUANTUM, rounding=ROUND_HALF_EVEN)


def position_unrealized_pnl(
    position: OpenPosition,
    quotes: Mapping[str, tuple[Decimal, Decimal]],
    account_currency: str,
    rates: Mapping[str, Decimal],
) -> Decimal:
    """Return the position's unrealised PnL converted to the account currency, unrounded."""
    instrument = position.instrument
    quote = quotes.get(instrument.symbol)
    if quote is None:
        raise PriceStale(instrument.symbol, None, instrument.staleness_seconds)
    bid, ask = quote
    pnl = unrealized_pnl(position.state, bid, ask, instrument.contract_size)
    return convert(pnl, instrument.quote_currency, account_currency, rates)


def value_account(
    balance: Decimal,
    currency: str,
    leverage: int,
    positions: Sequence[OpenPosition],
    quotes: Mapping[str, tuple[Decimal, Decimal]],
    rates: Mapping[str, Decimal],
) -> AccountValuation:
    """Value the account's positions at ``quotes`` (symbol -> client bid, ask)."""
    open_positions = [p for p in positions if not p.state.is_flat]
    pnl = sum((position_unrealized_pnl(p, quotes, currency, rates) for p in open_positions), _ZERO)
    margin = sum(
        (
            required_margin(p.instrument, p.state.lots, leverage, currency, rates)
            for p in open_positions
        ),
        _ZERO,
    )
    unrealized = round_money(pnl, currency)
    used = round_money(margin, currency)
    equity = balance + unrealized
    return AccountValuation(
        balance=balance,
        unrealized_pnl=unrealized,
        equity=equity,
        used_margin=used,
        free_margin=equity - used,
        margin_level=margin_level(equity, used),
        currency=currency,
    )


@dataclass(frozen=True)
class MarginCheck:
    """The account's margin if an order were filled, and whether it may be."""

    required_margin: Decimal
    used_margin_after: Decimal
    free_margin_after: Decimal
    allowed: bool
    reducing: bool
    currency: str


def is_reducing(current: PositionState | None, side: Side, lots: Decimal) -> bool:
    """Return whether the fill shrinks or closes ``current`` without flipping it."""
    if current is None or current.side is None:
        return False
    return side is not current.side and lots <= current.lots


def check_order(
    valuation: AccountValuation,
    instrument: Instrument,
    current: PositionState | None,
    side: Side,
    lots: Decimal,
    fill_price: Decimal,
    account_leverage: int,
    account_currency: str,
    rates: Mapping[str, Decimal],
) -> MarginCheck:
    """Return the margin after filling the order and whether the order is allowed."""
    if valuation.currency != account_currency:
        raise ValueError(f"valuation in {valuation.currency}, account in {account_currency}")
    after = apply_fill(
        current, instrument.symbol, side, lots, fill_price, instrument.contract_size
    ).position
    before_lots = current.lots if current is not None else _ZERO
    margin_before = required_margin(
        instrument, before_lots, account_leverage, account_currency, rates
    )
    margin_after = required_margin(
        instrument, after.lots, account_leverage, account_currency, rates
    )
    used_after = round_money(valuation.used_margin - margin_before + margin_after, account_currency)
    free_after = valuation.equity - used_after
    reducing = is_reducing(current, side, lots)
    return MarginCheck(
        required_margin=round_money(margin_after, account_currency),
        used_margin_after=used_after,
        free_margin_after=free_after,
        allowed=reducing or free_after >= 0,
        reducing=reducing,
        currency=account_currency,
    )


def assert_order_allowed(check: MarginCheck) -> None:
    """Raise InsufficientMargin unless the checked order is allowed."""
    if not check.allowed:
        available = check.free_margin_after + check.required_margin
        raise InsufficientMargin(check.required_margin, available, check.currency)
