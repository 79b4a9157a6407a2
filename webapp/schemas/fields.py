"""Strict numeric fields: exact decimals in, decimal strings out.

Numbers are JSON numbers, parsed exactly as Decimal (never float); a string where a number is
expected is refused, as are booleans, NaN and Infinity, values beyond the field's range and
values with more decimal places than the field keeps. Output is a decimal string.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields


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


class DecimalString(fields.String):
    """A decimal value written as a string in responses (documented as such)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("format", "decimal")
        kwargs["metadata"].setdefault("example", "1.10005")
        super().__init__(**kwargs)
