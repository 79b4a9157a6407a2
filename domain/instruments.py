"""Symbol catalogue and trading sessions.

Catalogue policy:
- FX: contract 100,000 units of the base currency, 5 digits (3 when JPY is the quote currency),
  pip 0.0001 (0.01 for JPY quotes), lots 0.01 to 50 in steps of 0.01. Majors (a USD pair among
  the seven most traded) allow leverage up to 500 and carry a 10-point markup; crosses 200 and 20.
  Quotes older than 10 s are stale. The vendor code is the symbol itself.
- Metals: XAUUSD (vendor ``GOLD``, 2 digits, 100 oz, pip 0.1) and XAGUSD (vendor ``Silver``,
  3 digits, 5,000 oz, pip 0.01); same lots as FX, leverage 100, markup 30 points, stale after 15 s.

Session policy (all times America/New_York, so the UTC hours follow US daylight saving time):
- FX trades from Sunday 17:00 to Friday 17:00 (21:00 UTC in summer, 22:00 UTC in winter).
- Metals trade the same week with a daily pause from 17:00 to 18:00, so they reopen on Sunday
  at 18:00.
A session is open at its opening instant and closed at its closing instant (half-open interval).

Lots policy (``Instrument.validate_lots``): finite, positive, within [min_lots, max_lots], with no
more decimal places than ``lot_step`` (trailing zeros do not count) and a whole multiple of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

from domain.errors import InvalidLots, UnknownSymbol

NEW_YORK = "America/New_York"
_SECONDS_PER_DAY = 86_400
_MONDAY, _FRIDAY, _SUNDAY = 0, 4, 6


class AssetClass(StrEnum):
    FX = "fx"
    METAL = "metal"


def _seconds_of_day(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


@dataclass(frozen=True)
class TradingSession:
    """Weekly trading hours in a local time zone, with an optional daily pause."""

    open_weekday: int = _SUNDAY
    open_time: time = time(17, 0)
    close_weekday: int = _FRIDAY
    close_time: time = time(17, 0)
    daily_break: tuple[time, time] | None = None
    timezone: str = NEW_YORK

    def is_open(self, at: datetime) -> bool:
        """Return whether the market is open at the aware instant ``at``."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("is_open needs an aware datetime")
        local = at.astimezone(ZoneInfo(self.timezone))
        of_day = local.hour * 3600 + local.minute * 60 + local.second
        of_week = local.weekday() * _SECONDS_PER_DAY + of_day
        opens = self.open_weekday * _SECONDS_PER_DAY + _seconds_of_day(self.open_time)
        closes = self.close_weekday * _SECONDS_PER_DAY + _seconds_of_day(self.close_time)
        if opens <= closes:
            in_week = opens <= of_week < closes
        else:  # the trading week wraps around the Monday-based week, as FX does
            in_week = of_week >= opens or of_week < closes
        if not in_week or self.daily_break is None:
            return in_week
        pause_start, pause_end = (_seconds_of_day(t) for t in self.daily_break)
        return not pause_start <= of_day < pause_end


FX_SESSION = TradingSession()
METALS_SESSION = TradingSession(daily_break=(time(17, 0), time(18, 0)))


@dataclass(frozen=True)
class Instrument:
    """A tradeable symbol with its contract terms."""

    symbol: str
    vendor_code: str
    asset_class: AssetClass
    base_currency: str
    quote_currency: str
    digits: int
    pip_size: Decimal
    contract_size: Decimal
    min_lots: Decimal
    max_lots: Decimal
    lot_step: Decimal
    max_leverage: int
    markup_points: int
    session: TradingSession = field(default=FX_SESSION)
    staleness_seconds: int = 10

    @property
    def point(self) -> Decimal:
        """Return the smallest price increment, 10 ** -digits."""
        return Decimal(1).scaleb(-self.digits)

    def validate_lots(self, lots: Decimal) -> None:
        """Raise InvalidLots unless ``lots`` is a tradeable size for this instrument."""
        reason = self._lots_problem(lots)
        if reason is not None:
            raise InvalidLots(lots, reason)

    def _lots_problem(self, lots: Decimal) -> str | None:
        if not lots.is_finite():
            return "must be a finite number"
        if lots <= 0:
            return "must be positive"
        return self._range_problem(lots) or self._step_problem(lots)

    def _range_problem(self, lots: Decimal) -> str | None:
        if lots < self.min_lots:
            return f"below the minimum of {self.min_lots}"
        if lots > self.max_lots:
            return f"above the maximum of {self.max_lots}"
        return None

    def _step_problem(self, lots: Decimal) -> str | None:
        places = _decimal_places(self.lot_step)
        if _decimal_places(lots) > places:
            return f"more than {places} decimal places"
        if lots % self.lot_step != 0:
            return f"not a multiple of {self.lot_step}"
        return None


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite values only
    return max(0, -exponent)


_FX_LOTS = {"min_lots": Decimal("0.01"), "max_lots": Decimal(50), "lot_step": Decimal("0.01")}
_MAJORS = ("EURUSD", "GBPUSD", "USDJPY", "USDCHF", "AUDUSD", "USDCAD", "NZDUSD")
_CROSSES = (
    *("EURGBP", "EURJPY", "GBPJPY", "EURCHF", "AUDJPY", "EURAUD", "EURCAD"),
    *("GBPCHF", "CADJPY", "CHFJPY", "NZDJPY", "AUDNZD", "GBPAUD"),
)


def _fx(symbol: str, *, major: bool) -> Instrument:
    jpy = symbol.endswith("JPY")
    return Instrument(
        symbol=symbol,
        vendor_code=symbol,
        asset_class=AssetClass.FX,
        base_currency=symbol[:3],
        quote_currency=symbol[3:],
        digits=3 if jpy else 5,
        pip_size=Decimal("0.01") if jpy else Decimal("0.0001"),
        contract_size=Decimal(100_000),
        max_leverage=500 if major else 200,
        markup_points=10 if major else 20,
        session=FX_SESSION,
        staleness_seconds=10,
        **_FX_LOTS,
    )


def _metal(symbol: str, vendor_code: str, digits: int, contract: int, pip: str) -> Instrument:
    return Instrument(
        symbol=symbol,
        vendor_code=vendor_code,
        asset_class=AssetClass.METAL,
        base_currency=symbol[:3],
        quote_currency=symbol[3:],
        digits=digits,
        pip_size=Decimal(pip),
        contract_size=Decimal(contract),
        max_leverage=100,
        markup_points=30,
        session=METALS_SESSION,
        staleness_seconds=15,
        **_FX_LOTS,
    )


INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType(
    {
        **{s: _fx(s, major=True) for s in _MAJORS},
        **{s: _fx(s, major=False) for s in _CROSSES},
        "XAUUSD": _metal("XAUUSD", "GOLD", 2, 100, "0.1"),
        "XAGUSD": _metal("XAGUSD", "Silver", 3, 5000, "0.01"),
    }
)
_BY_VENDOR_CODE: Mapping[str, Instrument] = MappingProxyType(
    {i.vendor_code: i for i in INSTRUMENTS.values()}
)


def get_instrument(symbol: str) -> Instrument:
    """Return the instrument for ``symbol`` (exact, case-sensitive) or raise UnknownSymbol."""
    try:
        return INSTRUMENTS[symbol]
    except KeyError:
        raise UnknownSymbol(symbol) from None


def by_vendor_code(code: str) -> Instrument:
    """Return the instrument the market-data vendor calls ``code`` or raise UnknownSymbol."""
    try:
        return _BY_VENDOR_CODE[code]
    except KeyError:
        raise UnknownSymbol(code) from None
