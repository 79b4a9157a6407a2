"""Liveness and readiness bodies."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import RecordSchema


class HealthSchema(RecordSchema):
    """The process answers."""

    status = fields.String(required=True, validate=validate.Equal("ok"))


class ComponentSchema(RecordSchema):
    """One dependency's state; `error` says what failed."""

    status = fields.String(required=True, validate=validate.OneOf(["ok", "error"]))
    error = fields.String(load_default=None, allow_none=True)


class ReadinessSchema(RecordSchema):
    """Whether every dependency answers, and each one's state."""

    status = fields.String(required=True, validate=validate.OneOf(["ok", "unavailable"]))
    components = fields.Dict(
        keys=fields.String(), values=fields.Nested(ComponentSchema), required=True
    )
