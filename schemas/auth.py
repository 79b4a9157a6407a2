"""Schemas of the auth endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import RecordSchema, StrictSchema


class RegisterSchema(StrictSchema):
    """A new user's credentials."""

    username = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$",
            error="3 to 32 letters, digits, '_', '.' or '-', starting with a letter or digit",
        ),
    )
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))


class LoginSchema(StrictSchema):
    """Credentials to exchange for tokens."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))


class LogoutSchema(StrictSchema):
    """Optionally the refresh token, so logout revokes both tokens."""

    refresh_token = fields.String(load_default=None, validate=validate.Length(max=4096))


class TokenPairSchema(RecordSchema):
    """Tokens issued at login."""

    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "access token seconds"})


class AccessTokenSchema(RecordSchema):
    """A fresh access token."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)


class UserSchema(RecordSchema):
    """A user and their trading account."""

    id = fields.Integer(required=True)
    username = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": ["trader", "admin"]})
    account_id = fields.Integer(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)


class TicketSchema(RecordSchema):
    """A one-time ticket to open the WebSocket with, instead of the access token."""

    ticket = fields.String(required=True, metadata={"description": "use as /ws?ticket=..."})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds; single use"})
