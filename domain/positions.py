"""Netting positions: one position per (account, symbol), changed only by applying fills.

Policy:
- A position is ``signed_lots`` (positive long, negative short, zero flat) and ``avg_price``.
  A flat position has ``avg_price`` 0.
- A fill on the same side as the position (or on a flat position) adds to it; the new average is
  ``(avg_price * lots + price * fill_lots) / (lots + fill_lots)``, divided at 28 significant digits
  and quantized to 10 decimal places, ROUND_HALF_EVEN.
- A fill on the opposite side reduces the position at its average and realises
  ``(price - avg_price) * closed_lots * contract_size * sign`` where sign is +1 for a long and -1
  for a short. The average of what remains is unchanged.
- A fill larger than the position crosses zero: it closes the whole position as above and opens
  the remainder at the fill price.
- Realised and unrealised PnL are in the quote currency and unrounded; converting and rounding to
  the account currency's minor unit happens when booking (see ``domain.conversion``).
- Unrealised PnL values longs at the bid and shorts at the ask (the price that would close them).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum

from domain.errors import InvalidLots, PositionNotFound

AVG_PRICE_QUANTUM = Decimal("1E-10")
_ZERO = Decimal(0)


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """Return +1 for BUY and -1 for SELL."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        """Return the other side."""
        return Side.SELL if self is Side.BUY else Side.BUY


@dataclass(frozen=True)
class PositionState:
    """A net position in one symbol."""

    symbol: str
    signed_lots: Decimal
    avg_price: Decimal

    @classmethod
    def of(cls, symbol: str, side: Side | str, lots: Decimal, avg_price: Decimal) -> PositionState:
        """Return the state of a position stored as (side, unsigned lots, average price)."""
        return cls(symbol, lots * Side(side).sign, avg_price)

    @property
    def side(self) -> Side | None:
        """Return BUY for a long, SELL for a short, None when flat."""
        if self.signed_lots > 0:
            return Side.BUY
        if self.signed_lots < 0:
            return Side.SELL
        return None

    @property
    def lots(self) -> Decimal:
        """Return the size of the position, without sign."""
        return abs(self.signed_lots)

    @property
    def is_flat(self) -> bool:
        """Return whether the position holds nothing."""
        return self.signed_lots == 0


@dataclass(frozen=True)
class FillOutcome:
    """What one fill did to a position."""

    position: PositionState
    realized_pnl: Decimal
    closed_lots: Decimal
    opened_lots: Decimal
    reduced: bool
    flipped: bool


def flat(symbol: str) -> PositionState:
    """Return an empty position in ``symbol``."""
    return PositionState(symbol, _ZERO, _ZERO)


def apply_fill(
    position: PositionState | None,
    symbol: str,
    side: Side,
    lots: Decimal,
    price: Decimal,
    contract_size: Decimal,
) -> FillOutcome:
    """Apply a fill of ``lots`` at ``price`` to ``position`` and return the outcome."""
    if not lots.is_finite() or lots <= 0:
        raise InvalidLots(lots, "must be positive")
    if not price.is_finite() or price <= 0:
        raise ValueError(f"fill price must be positive, got {price}")
    current = position if position is not None else flat(symbol)
    if current.symbol != symbol:
        raise ValueError(f"fill for {symbol} applied to a {current.symbol} position")
    if current.side is None or current.side is side:
        return _increase(current, side, lots, price)
    return _reduce(current, side, lots, price, contract_size)


def _increase(current: PositionState, side: Side, lots: Decimal, price: Decimal) -> FillOutcome:
    new_lots = current.lots + lots
    with localcontext() as context:
        context.prec = 28
        weighted = (current.avg_price * current.lots + price * lots) / new_lots
        avg_price = weighted.quantize(AVG_PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)
    after = PositionState(current.symbol, side.sign * new_lots, avg_price)
    return FillOutcome(after, _ZERO, _ZERO, lots, reduced=False, flipped=False)


def _reduce(
    current: PositionState, side: Side, lots: Decimal, price: Decimal, contract_size: Decimal
) -> FillOutcome:
    closed = min(lots, current.lots)
    position_sign = -side.sign
    realized = (price - current.avg_price) * closed * contract_size * position_sign
    remainder = lots - closed
    if remainder > 0:
        after = PositionState(current.symbol, side.sign * remainder, price)
    elif closed == current.lots:
        after = flat(current.symbol)
    else:
        after = PositionState(
            current.symbol, current.signed_lots + side.sign * closed, current.avg_price
        )
    return FillOutcome(after, realized, closed, remainder, reduced=True, flipped=remainder > 0)


def unrealized_pnl(
    position: PositionState | None, bid: Decimal, ask: Decimal, contract_size: Decimal
) -> Decimal:
    """Return the open PnL in quote currency: longs valued at bid, shorts at ask."""
    if position is None or position.is_flat:
        return _ZERO
    close_price = bid if position.signed_lots > 0 else ask
    return (close_price - position.avg_price) * position.signed_lots * contract_size


def close_fill_side(position: PositionState) -> Side:
    """Return the side of the fill that closes ``position``; raise PositionNotFound if flat."""
    if position.side is None:
        raise PositionNotFound(position.symbol)
    return position.side.opposite
