"""Values of the Alltick feed: frozen dataclasses with Decimal prices and aware UTC times.

Policy:
- Prices and volumes are `Decimal` parsed from the vendor's strings (never floats); NaN and
  infinities are malformed.
- `seq` and `tick_time` arrive as an int or a numeric string (the documented types drifted); a
  `tick_time` below 1e11 is seconds, otherwise milliseconds. Times are aware UTC datetimes.
- Ticks of one code and one push type order by `(tick_time, seq)`; nothing orders codes.
- A depth tick is fit to trade on only when every price is positive and bid < ask (`check_depth`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import IntEnum, StrEnum
from typing import Any

from marketdata.alltick.errors import ProtocolError

SECONDS_THRESHOLD = 100_000_000_000  # tick_time below 1e11 is seconds (1e11 ms is 1973)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TradeDirection(IntEnum):
    """Aggressor side of a trade (forex and metals always send BUY)."""

    NEUTRAL = 0
    BUY = 1
    SELL = 2


class DropReason(StrEnum):
    """Why a well-formed quote is not fit to trade on."""

    CROSSED = "crossed"
    NON_POSITIVE = "non_positive"


@dataclass(frozen=True, slots=True)
class PriceLevel:
    """One level of an order book."""

    price: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class DepthTick:
    """An order-book snapshot of one code (best level first on each side)."""

    code: str
    seq: int
    tick_time: datetime
    bids: tuple[PriceLevel, ...]
    asks: tuple[PriceLevel, ...]

    @property
    def best_bid(self) -> Decimal | None:
        """Return the highest bid, or None when the bid side is empty."""
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        """Return the lowest ask, or None when the ask side is empty."""
        return self.asks[0].price if self.asks else None

    @property
    def order_key(self) -> tuple[datetime, int]:
        """Return the key that orders ticks of this code."""
        return (self.tick_time, self.seq)


@dataclass(frozen=True, slots=True)
class TradeTick:
    """The latest trade of one code."""

    code: str
    seq: int
    tick_time: datetime
    price: Decimal
    volume: Decimal
    turnover: Decimal
    trade_direction: int

    @property
    def order_key(self) -> tuple[datetime, int]:
        """Return the key that orders ticks of this code."""
        return (self.tick_time, self.seq)


@dataclass(frozen=True, slots=True)
class Kline:
    """One candle; `timestamp` is the bar's open time."""

    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    turnover: Decimal


@dataclass(frozen=True, slots=True)
class Ack:
    """A WebSocket response; `cmd_id` 0 answers a request the server could not read."""

    cmd_id: int
    seq_id: int
    trace: str
    ret: int
    msg: str

    @property
    def ok(self) -> bool:
        """Return whether the request succeeded."""
        return self.ret == 200


def check_depth(tick: DepthTick) -> DropReason | None:
    """Return why a depth tick must not be traded on, or None when it is fine."""
    levels = tick.bids + tick.asks
    if any(level.price <= 0 for level in levels):
        return DropReason.NON_POSITIVE
    bid, ask = tick.best_bid, tick.best_ask
    if bid is not None and ask is not None and bid >= ask:
        return DropReason.CROSSED
    return None


def check_trade(tick: TradeTick) -> DropReason | None:
    """Return why a trade tick must not be used, or None when it is fine."""
    return DropReason.NON_POSITIVE if tick.price <= 0 else None


def require_mapping(value: object, what: str) -> Mapping[str, Any]:
    """Return `value` as a mapping or raise ProtocolError."""
    if not isinstance(value, Mapping):
        raise ProtocolError(f"{what} is not an object")
    return value


def field(data: Mapping[str, Any], name: str) -> Any:
    """Return a required field or raise ProtocolError."""
    if name not in data:
        raise ProtocolError(f"missing field {name!r}")
    return data[name]


def int_field(data: Mapping[str, Any], name: str) -> int:
    """Parse an int sent as an int or a numeric string."""
    value = field(data, name)
    if isinstance(value, bool):
        raise ProtocolError(f"field {name!r} is a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ProtocolError(f"field {name!r} is not an integer: {value!r}")


def str_field(data: Mapping[str, Any], name: str) -> str:
    """Parse a string field."""
    value = field(data, name)
    if not isinstance(value, str):
        raise ProtocolError(f"field {name!r} is not a string")
    return value


def decimal_field(data: Mapping[str, Any], name: str) -> Decimal:
    """Parse a finite decimal sent as a string (or, tolerated, a JSON number)."""
    value = field(data, name)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ProtocolError(f"field {name!r} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ProtocolError(f"field {name!r} is not a number: {value!r}") from exc
    if not number.is_finite():
        raise ProtocolError(f"field {name!r} is not finite: {value!r}")
    return number


def time_field(data: Mapping[str, Any], name: str) -> datetime:
    """Parse an epoch time in seconds (below 1e11) or milliseconds into an aware UTC datetime."""
    raw = int_field(data, name)
    if raw < 0:
        raise ProtocolError(f"field {name!r} is negative")
    millis = raw * 1000 if raw < SECONDS_THRESHOLD else raw
    try:
        return EPOCH + timedelta(milliseconds=millis)
    except OverflowError as exc:
        raise ProtocolError(f"field {name!r} is out of range: {raw}") from exc
