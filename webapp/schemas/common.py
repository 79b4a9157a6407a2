"""Shared schema pieces: a strict base and the error shape."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class StrictSchema(ma.Schema):
    """A schema that refuses unknown fields."""

    class Meta:
        unknown = ma.RAISE


class ApiErrorSchema(ma.Schema):
    """The one error shape every failure answers with."""

    code = fields.Integer(metadata={"description": "HTTP status code"})
    status = fields.String(metadata={"description": "HTTP status phrase"})
    message = fields.String(metadata={"description": "What went wrong, for people"})
    error_code = fields.String(metadata={"description": "Stable code, for programs"})
    errors = fields.Dict(metadata={"description": "Per-field validation messages"})
