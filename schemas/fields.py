"""Fields for numbers that are money, lots and prices: exact decimals in, decimal strings out.

Requests: numbers are JSON numbers, parsed exactly as Decimal (never float); a string where a
number is expected is refused, as are booleans, NaN and Infinity, values beyond the field's range
and values with more decimal places than the field keeps.

Responses and events write every such value as a decimal string, one way:
- money: two places ("100.00"); margin levels too ("15072.61");
- lots: two places ("0.10");
- prices: at least the instrument's digits, more only when the value has them (an average price
  keeps up to 10 places): "1.10005", "150.123", "1.1000066667";
- conversion rates: their own places, without trailing zeros: "1", "0.006666666666666667";
The same value read back from PostgreSQL (NUMERIC with trailing zeros) prints the same, and a
written string reads back (``load``) as the same Decimal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, validate

from domain.instruments import INSTRUMENTS
from domain.positions import Side

CENT = Decimal("0.01")
DEFAULT_PRICE_DIGITS = 5
MAX_REQUEST_LOTS = Decimal(1000)
SYMBOL = validate.Regexp(r"^[A-Z0-9]{3,16}$", error="a symbol such as EURUSD")
# An idempotency key (the `Idempotency-Key` header, the CLI's --idempotency-key).
IDEMPOTENCY_KEY = re.compile(r"\A[\x21-\x7e]{1,128}\Z")
CLIENT_ORDER_ID = validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$", error="1 to 64 of A-Za-z0-9_.:-")


class StrictDecimal(fields.Field):
    """A JSON number read as an exact Decimal, with places and range checks."""

    def __init__(
        self,
        *,
        places: int,
        minimum: Decimal | None = Decimal(0),
        maximum: Decimal | None = None,
        exclusive_minimum: bool = True,
        **kwargs: Any,
    ) -> None:
        metadata = {"type": "number", "multipleOf": float(Decimal(1).scaleb(-places))}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)
        self.places = places
        self.minimum = minimum
        self.maximum = maximum
        self.exclusive_minimum = exclusive_minimum

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise ValidationError("must be a JSON number")
        number = Decimal(value)
        if not number.is_finite():
            raise ValidationError("must be a finite number")
        self._check_range(number)
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.places:
            raise ValidationError(f"must have at most {self.places} decimal places")
        return number

    def _check_range(self, number: Decimal) -> None:
        if self.minimum is not None:
            below = number <= self.minimum if self.exclusive_minimum else number < self.minimum
            if below:
                word = "greater than" if self.exclusive_minimum else "at least"
                raise ValidationError(f"must be {word} {self.minimum}")
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(f"must be at most {self.maximum}")


class DecimalString(fields.Field):
    """A Decimal written as a string; ``load`` reads such a string back as a Decimal."""

    default_example = "1.10005"

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "format": "decimal", "example": self.default_example}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else self.format(Decimal(value), obj)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise ValidationError("must be a decimal string")
        try:
            return Decimal(value)
        except InvalidOperation as exc:
            raise ValidationError("must be a decimal string") from exc

    def format(self, value: Decimal, obj: Any) -> str:
        """Write the value (subclasses fix the number of places)."""
        return str(value)


class Money(DecimalString):
    """An amount of money (or a margin level in percent): two decimal places."""

    default_example = "100000.00"

    def format(self, value: Decimal, obj: Any) -> str:
        """Write two places."""
        return str(value.quantize(CENT))


class Lots(DecimalString):
    """A quantity of lots: two decimal places."""

    default_example = "0.10"

    def format(self, value: Decimal, obj: Any) -> str:
        """Write two places."""
        return str(value.quantize(CENT))


class Rate(DecimalString):
    """A conversion rate: fixed-point, without trailing zeros ("1", "0.006666666666666667")."""

    default_example = "1.1"

    def format(self, value: Decimal, obj: Any) -> str:
        """Write the rate's own places."""
        return f"{value.normalize():f}"


class Price(DecimalString):
    """A price of the object's `symbol`: at least the instrument's digits."""

    def format(self, value: Decimal, obj: Any) -> str:
        """Write at least the digits of the symbol the object is about."""
        return price_text(_symbol_of(obj), value)


def price_text(symbol: str | None, value: Decimal) -> str:
    """Write a price with at least the symbol's digits and no trailing zeros beyond them."""
    instrument = INSTRUMENTS.get(symbol) if symbol else None
    digits = instrument.digits if instrument else DEFAULT_PRICE_DIGITS
    exponent = value.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else digits
    return f"{value:.{max(places, digits)}f}"


def _symbol_of(obj: Any) -> str | None:
    symbol = obj.get("symbol") if isinstance(obj, Mapping) else getattr(obj, "symbol", None)
    return symbol if isinstance(symbol, str) else None


def symbol_field(**kwargs: Any) -> fields.String:
    """Return the symbol field of a request: 3 to 16 of A-Z0-9."""
    return fields.String(validate=SYMBOL, metadata={"example": "EURUSD"}, **kwargs)


def side_field(**kwargs: Any) -> fields.String:
    """Return the side field of a request: BUY or SELL."""
    return fields.String(validate=validate.OneOf([side.value for side in Side]), **kwargs)


def lots_field(**kwargs: Any) -> StrictDecimal:
    """Return the lots field of a request: a JSON number, > 0, at most 2 places."""
    metadata = {"example": 0.1, **kwargs.pop("metadata", {})}
    return StrictDecimal(places=2, maximum=MAX_REQUEST_LOTS, metadata=metadata, **kwargs)


def client_order_id_field() -> fields.String:
    """Return the optional idempotency key of a request that books."""
    return fields.String(
        load_default=None,
        validate=CLIENT_ORDER_ID,
        metadata={"description": "Unique per account; a retry returns the original result"},
    )
