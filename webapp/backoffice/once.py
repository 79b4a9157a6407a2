"""One-time form tokens: a form that books money is booked at most once.

Every rendered balance form carries a random token, stored in Redis (valid TOKEN_TTL) with what it
is for: the admin who got the form and the account it books on. Submitting takes the token out of
Redis with ONE atomic GETDEL before anything is booked, so of two submissions of the same form
(a double click, a browser resubmit, a replayed POST) exactly one finds the token and books; the
others find nothing and book nothing. A token is also refused for another admin or account.

The token is spent even when the booking is then refused (insufficient funds, a database failure):
the operator gets a fresh form, and after a failure whose outcome is unknown looks at the ledger
before submitting again. At most once, never twice.
"""

from __future__ import annotations

import secrets

from webapp.extensions import redis_store

PREFIX = "backoffice:form:"
TOKEN_TTL_SECONDS = 3600


def issue(admin_id: int, account_id: int) -> str:
    """Return a new token for one submission of a balance form."""
    token = secrets.token_urlsafe(24)
    redis_store.client.set(PREFIX + token, _purpose(admin_id, account_id), ex=TOKEN_TTL_SECONDS)
    return token


def spend(token: str, admin_id: int, account_id: int) -> bool:
    """Take the token; return True only the first time, for the admin and account it was for."""
    if not token:
        return False
    stored = redis_store.client.getdel(PREFIX + token)
    return stored == _purpose(admin_id, account_id)


def _purpose(admin_id: int, account_id: int) -> str:
    return f"admin:{admin_id}:account:{account_id}"
