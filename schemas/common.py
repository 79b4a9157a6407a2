"""Shared schema pieces: a strict base for requests, a base for records, the error shape, pages."""

from __future__ import annotations

import threading
from typing import Any

import marshmallow as ma
from marshmallow import fields


class StrictSchema(ma.Schema):
    """A request schema: unknown fields are refused."""

    class Meta:
        unknown = ma.RAISE


class RecordSchema(ma.Schema):
    """A response or event body. `load` reads a stored body back (into `record`, if set).

    Dumping an immutable record (a frozen dataclass) is remembered for the last few hundred
    (schema, record) pairs: a booking's result is dumped for the stored replay body, the
    response and its events, and the same record is written once. A dumped body is shared, so
    it must never be changed in place.
    """

    record: Any = None

    class Meta:
        unknown = ma.EXCLUDE

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """Dump `obj`, reusing the body of the same immutable record dumped just before."""
        if many or self.many or not _immutable(obj):
            return super().dump(obj, many=many)
        key = (id(self), id(obj))
        found = _DUMPED.get(key)
        if found is not None and found[0] is obj:
            return found[1]
        body = super().dump(obj)
        with _DUMPED_LOCK:
            _DUMPED[key] = (obj, body)  # holding obj keeps its id from being reused
            while len(_DUMPED) > _DUMPED_SIZE:
                del _DUMPED[next(iter(_DUMPED))]
        return body

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


_DUMPED: dict[tuple[int, int], tuple[Any, Any]] = {}
_DUMPED_LOCK = threading.Lock()
_DUMPED_SIZE = 512


def _immutable(obj: Any) -> bool:
    params = getattr(type(obj), "__dataclass_params__", None)
    return params is not None and bool(params.frozen)


def page_of(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """Return the schema of a keyset page of `item`: `{items, next_before_id}`."""
    attributes: dict[str, Any] = {
        "items": fields.List(fields.Nested(item)),
        "next_before_id": fields.Integer(
            allow_none=True, metadata={"description": "before_id of the next page, or null"}
        ),
    }
    return RecordSchema.from_dict(attributes, name=name)
