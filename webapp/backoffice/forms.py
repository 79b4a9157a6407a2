"""The back office's forms (Flask-WTF: each carries the session's CSRF token).

A balance change is checked by the API's own schema (schemas.admin.AdjustmentRequestSchema), so
both doors accept exactly the same amounts: positive for a deposit or withdrawal, signed and
non-zero for an adjustment, at most two decimal places, at most 10^12, and a reason. The amount
is read from the text as an exact Decimal (digits, an optional sign and decimal point: no
exponent, no NaN, never a float).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, InputRequired, Length

from domain.records import LedgerKind
from schemas.admin import AdjustmentRequestSchema

AMOUNT_TEXT = re.compile(r"^[+-]?\d{1,16}(\.\d{1,16})?$")
KIND_CHOICES = [
    SelectChoice(LedgerKind.DEPOSIT.value, "Deposit (amount > 0)"),
    SelectChoice(LedgerKind.WITHDRAWAL.value, "Withdrawal (amount > 0)"),
    SelectChoice(LedgerKind.ADJUSTMENT.value, "Adjustment (signed amount)"),
]
ADJUSTMENT = AdjustmentRequestSchema()


class LoginForm(FlaskForm):
    """Sign in to the back office."""

    username = StringField("Username", [InputRequired(), Length(max=64)])
    password = PasswordField("Password", [InputRequired(), Length(max=128)])


class ActiveForm(FlaskForm):
    """Deactivate ("0") or reactivate ("1") a user."""

    active = HiddenField(validators=[AnyOf(["0", "1"])])


class AdjustmentForm(FlaskForm):
    """Book a deposit, withdrawal or signed adjustment, with a reason, once (form_token)."""

    kind = SelectField("Kind", choices=KIND_CHOICES, validators=[InputRequired()])
    amount = StringField("Amount", [InputRequired(), Length(max=40)])
    reason = StringField("Reason", [InputRequired(), Length(max=255)])
    form_token = HiddenField()

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the fields, then the whole request as the API's schema does."""
        if not super().validate(extra_validators):
            return False
        text = (self.amount.data or "").strip()
        if not AMOUNT_TEXT.match(text):
            self.amount.errors.append("write the amount as digits, e.g. 1500 or -20.75")
            return False
        request = {"kind": self.kind.data, "amount": Decimal(text), "reason": self.reason.data}
        try:
            self.checked: dict[str, Any] = ADJUSTMENT.load(request)
        except ValidationError as error:
            for name, messages in _by_field(error.messages).items():
                field = self._fields.get(name, self.amount)
                field.errors.extend(messages)
            return False
        return True

    def booking(self) -> tuple[LedgerKind, Decimal, str]:
        """Return what to book (after validate): kind, amount and the reason, trimmed."""
        checked = self.checked
        return LedgerKind(checked["kind"]), checked["amount"], checked["reason"].strip()


def _by_field(messages: Any) -> dict[str, list[str]]:
    if not isinstance(messages, dict):
        return {"amount": [str(messages)]}
    return {
        name: [str(m) for m in (found if isinstance(found, list) else [found])]
        for name, found in messages.items()
    }
