"""Currency conversion and money rounding.

Policy:
- ``rates`` maps a symbol BASEQUOTE (e.g. ``EURUSD``, ``USDJPY``, ``XAUUSD``) to its mid price:
  one BASE is worth that many QUOTE. Missing, non-finite or non-positive rates are ignored.
- ``rate(FROM, TO)`` is tried in this order: 1 when FROM == TO; the direct symbol FROMTO; the
  inverse 1 / TOFROM; via USD, (FROMUSD or 1 / USDFROM) x (USDTO or 1 / TOUSD). Otherwise it raises
  NoConversionRate.
- Arithmetic (inversions and the cross product) runs in a 28-significant-digit context with
  ROUND_HALF_EVEN, whatever the caller's context, so results are deterministic.
- ``convert`` is unrounded. ``round_money`` rounds half-even to the currency's minor unit: 0 decimal
  places for JPY, 2 for every other currency. Realised PnL is rounded this way when booked.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Context, Decimal
from types import MappingProxyType

from domain.errors import NoConversionRate

USD = "USD"
MINOR_UNIT_DIGITS: Mapping[str, int] = MappingProxyType({"JPY": 0})
DEFAULT_MINOR_UNIT_DIGITS = 2
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
_ONE = Decimal(1)


def _quoted(symbol: str, rates: Mapping[str, Decimal]) -> Decimal | None:
    value = rates.get(symbol)
    if value is None or not value.is_finite() or value <= 0:
        return None
    return value


def _direct_or_inverse(
    from_currency: str, to_currency: str, rates: Mapping[str, Decimal]
) -> tuple[Decimal, tuple[str, ...]] | None:
    if from_currency == to_currency:
        return _ONE, ()
    direct = _quoted(from_currency + to_currency, rates)
    if direct is not None:
        return direct, (from_currency + to_currency,)
    inverse = _quoted(to_currency + from_currency, rates)
    if inverse is not None:
        return _CONTEXT.divide(_ONE, inverse), (to_currency + from_currency,)
    return None


def rate_with_symbols(
    from_currency: str, to_currency: str, rates: Mapping[str, Decimal]
) -> tuple[Decimal, tuple[str, ...]]:
    """Return how many ``to_currency`` one ``from_currency`` is worth, and the symbols it used."""
    single = _direct_or_inverse(from_currency, to_currency, rates)
    if single is not None:
        return single
    to_usd = _direct_or_inverse(from_currency, USD, rates)
    from_usd = _direct_or_inverse(USD, to_currency, rates)
    if to_usd is None or from_usd is None:
        raise NoConversionRate(from_currency, to_currency)
    return _CONTEXT.multiply(to_usd[0], from_usd[0]), to_usd[1] + from_usd[1]


def rate(from_currency: str, to_currency: str, rates: Mapping[str, Decimal]) -> Decimal:
    """Return how many ``to_currency`` one ``from_currency`` is worth."""
    return rate_with_symbols(from_currency, to_currency, rates)[0]


def rate_symbols(from_currency: str, to_currency: str) -> tuple[str, ...]:
    """Return every symbol ``rate(from_currency, to_currency, ...)`` may read, in its order."""
    if from_currency == to_currency:
        return ()
    candidates = (
        from_currency + to_currency,
        to_currency + from_currency,
        from_currency + USD,
        USD + from_currency,
        USD + to_currency,
        to_currency + USD,
    )
    return tuple(dict.fromkeys(c for c in candidates if c[:3] != c[3:]))


def convert(
    amount: Decimal, from_currency: str, to_currency: str, rates: Mapping[str, Decimal]
) -> Decimal:
    """Return ``amount`` of ``from_currency`` expressed in ``to_currency``, unrounded."""
    if from_currency == to_currency:
        return amount
    return _CONTEXT.multiply(amount, rate(from_currency, to_currency, rates))


def minor_unit_digits(currency: str) -> int:
    """Return the number of decimal places of ``currency``'s minor unit."""
    return MINOR_UNIT_DIGITS.get(currency, DEFAULT_MINOR_UNIT_DIGITS)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-even to ``currency``'s minor unit."""
    quantum = Decimal(1).scaleb(-minor_unit_digits(currency))
    return amount.quantize(quantum, rounding=ROUND_HALF_EVEN)


def convert_money(
    amount: Decimal, from_currency: str, to_currency: str, rates: Mapping[str, Decimal]
) -> Decimal:
    """Convert ``amount`` and round it to ``to_currency``'s minor unit, as when booking."""
    return round_money(convert(amount, from_currency, to_currency, rates), to_currency)
