"""Every body that crosses the process boundary, declared once as a marshmallow schema.

Requests (strict: unknown fields refused, numbers read as exact decimals), REST responses,
WebSocket messages and pub/sub events. Services return typed records (domain.records and their
own frozen dataclasses); the web layer and the publishers dump them through these schemas, so
the OpenAPI document describes exactly what is sent. Money, lots and prices are decimal strings
(schemas/fields.py); the error table lives in schemas/errors.py.
"""
