"""Shared schema pieces: a strict base for requests, a base for records, the error shape, pages."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields


class StrictSchema(ma.Schema):
    """A request schema: unknown fields are refused."""

    class Meta:
        unknown = ma.RAISE


class RecordSchema(ma.Schema):
    """A response or event body. `load` reads a stored body back (into `record`, if set)."""

    record: Any = None

    class Meta:
        unknown = ma.EXCLUDE

    @ma.post_load
    def _make_record(self, data: dict[str, Any], **_kwargs: Any) -> Any:
        """Build the record the body shows, when the schema names one."""
        return data if self.record is None else self.record(**data)


class ApiErrorSchema(ma.Schema):
    """The one error shape every failure answers with."""

    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(required=True, metadata={"description": "HTTP status phrase"})
    message = fields.String(required=True, metadata={"description": "What went wrong, for people"})
    error_code = fields.String(
        required=True,
        metadata={"description": "Stable code, for programs", "example": "PRICE_STALE"},
    )
    errors = fields.Dict(metadata={"description": "Per-field validation messages"})


def page_of(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """Return the schema of a keyset page of `item`: `{items, next_before_id}`."""
    attributes: dict[str, Any] = {
        "items": fields.List(fields.Nested(item)),
        "next_before_id": fields.Integer(
            allow_none=True, metadata={"description": "before_id of the next page, or null"}
        ),
    }
    return RecordSchema.from_dict(attributes, name=name)
