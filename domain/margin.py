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
- Pre-trade check: the account is valued as it would be right after the fill, at the current
  quotes: used_margin_after = used_margin - margin(current position) + margin(position after
  the fill), rounded to the minor unit; equity_after = equity + the change of the symbol's
  unrealised PnL (and realised PnL) from the fill, valued at the closing side, so the spread the
  fill pays (a BUY fills at the ask and is valued at the bid) is deducted; free_margin_after =
  equity_after - used_margin_after. A reducing order (opposite side, no more lots than the
  position, so it neither grows nor flips it) is always allowed; any other order is allowed iff
  the account would be strictly above ``min_level`` after it (domain.risk.at_or_below: the
  margin-call level by default), i.e. an order never puts the account into margin call.
- A refusal reports the margin the position would need after the trade (``required``), the
  margin available to it (``free`` = free_margin_after + required), and the level the account
  would be at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from domain.conversion import convert, round_money
from domain.errors import InsufficientMargin, PriceStale
from domain.instruments import Instrument
from domain.positions import PositionState, Side, apply_fill, unrealized_pnl
from domain.risk import at_or_below

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
    equity_after: Decimal
    margin_level_after: Decimal | None
    min_level: Decimal
    allowed: bool
    reducing: bool
    currency: str


def is_reducing(current: PositionState | None, side: Side, lots: Decimal) -> bool:
    """Return whether the fill shrinks or closes ``current`` without flipping it."""
    if current is None or current.side is None:
        return False
    return side is not current.side and lots <= current.lots


@dataclass(frozen=True)
class OrderAtPrice:
    """An order and the prices it is checked at: the fill price and the symbol's quote."""

    side: Side
    lots: Decimal
    fill_price: Decimal
    bid: Decimal
    ask: Decimal


def check_order(
    valuation: AccountValuation,
    instrument: Instrument,
    current: PositionState | None,
    order: OrderAtPrice,
    account_leverage: int,
    rates: Mapping[str, Decimal],
    min_level: Decimal,
) -> MarginCheck:
    """Return the account's margin right after filling the order, and whether it is allowed."""
    currency, contract = valuation.currency, instrument.contract_size
    outcome = apply_fill(
        current, instrument.symbol, order.side, order.lots, order.fill_price, contract
    )
    before_lots = current.lots if current is not None else _ZERO
    margin_before = required_margin(instrument, before_lots, account_leverage, currency, rates)
    margin_after = required_margin(
        instrument, outcome.position.lots, account_leverage, currency, rates
    )
    used_after = round_money(valuation.used_margin - margin_before + margin_after, currency)
    change = (
        outcome.realized_pnl
        + unrealized_pnl(outcome.position, order.bid, order.ask, contract)
        - unrealized_pnl(current, order.bid, order.ask, contract)
    )
    equity_after = round_money(
        valuation.equity + convert(change, instrument.quote_currency, currency, rates), currency
    )
    reducing = is_reducing(current, order.side, order.lots)
    return MarginCheck(
        required_margin=round_money(margin_after, currency),
        used_margin_after=used_after,
        free_margin_after=equity_after - used_after,
        equity_after=equity_after,
        margin_level_after=margin_level(equity_after, used_after),
        min_level=min_level,
        allowed=reducing or not at_or_below(equity_after, used_after, min_level),
        reducing=reducing,
        currency=currency,
    )


def assert_order_allowed(check: MarginCheck) -> None:
    """Raise InsufficientMargin unless the checked order is allowed."""
    if not check.allowed:
        available = check.free_margin_after + check.required_margin
        raise InsufficientMargin(
            check.required_margin, available, check.currency, check.margin_level_after,
            check.min_level,
        )  # fmt: skip
