"""Errors of the Alltick vendor layer and the policy for each `ret` code.

Policy (docs/alltick-protocol.md, 4. Return codes): any `ret != 200` is an error; the class
says what to do:
- `AuthError` (401): stop and alert; retrying with the same token cannot succeed.
- `RateLimitError` (429, 605, 606, and HTTP 429 from the gateway): back off, then retry.
- `CodeRejectedError` (600, 604): drop the code and alert; the rest of the work goes on.
- `RequestError` (anything else, e.g. 400/201/202/402/601/603): fail this request.
`ProtocolError` is a frame or body without a documented shape; it is never retried as is.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import ClassVar


class Ret(IntEnum):
    """The `ret` codes documented by the vendor."""

    OK = 200
    HEADER_INVALID = 201
    DATA_INVALID = 202
    BAD_REQUEST = 400
    TOKEN = 401
    BAD_QUERY = 402
    RATE_LIMIT = 429
    CODE_INVALID = 600
    BODY_EMPTY = 601
    PLAN_TOO_LOW = 603
    CODE_NOT_AUTHORISED = 604
    REST_TOO_MANY = 605
    WS_TOO_MANY = 606


class RetAction(Enum):
    """What a caller does about a failed `ret`."""

    STOP = "stop"
    BACK_OFF = "back_off"
    DROP_CODE = "drop_code"
    FAIL = "fail"


class AlltickError(Exception):
    """Base class of every error raised by the Alltick vendor layer."""


class ProtocolError(AlltickError):
    """A frame or response body that does not match any documented shape."""


class TransportError(AlltickError):
    """The request never got an answer (connection refused, reset, timed out)."""


class VendorError(AlltickError):
    """A response whose `ret` (or HTTP status) is not a success."""

    action: ClassVar[RetAction] = RetAction.FAIL

    def __init__(self, ret: int, msg: str) -> None:
        super().__init__(f"ret={ret} msg={msg!r}")
        self.ret = ret
        self.msg = msg

    def __reduce__(self) -> tuple[type[VendorError], tuple[int, str]]:
        return (type(self), (self.ret, self.msg))


class AuthError(VendorError):
    """The token is missing or invalid (401): stop and alert."""

    action = RetAction.STOP


class RateLimitError(VendorError):
    """Too many requests (429, 605, 606): back off before retrying."""

    action = RetAction.BACK_OFF


class CodeRejectedError(VendorError):
    """The code is invalid or not authorised (600, 604): drop the code and alert."""

    action = RetAction.DROP_CODE


class RequestError(VendorError):
    """Any other failed `ret`: this request failed."""


_CLASS_BY_RET: dict[int, type[VendorError]] = {
    Ret.TOKEN: AuthError,
    Ret.RATE_LIMIT: RateLimitError,
    Ret.REST_TOO_MANY: RateLimitError,
    Ret.WS_TOO_MANY: RateLimitError,
    Ret.CODE_INVALID: CodeRejectedError,
    Ret.CODE_NOT_AUTHORISED: CodeRejectedError,
}


def error_for_ret(ret: int, msg: str) -> VendorError:
    """Return the typed error for a failed `ret`."""
    return _CLASS_BY_RET.get(ret, RequestError)(ret, msg)


def action_for_ret(ret: int) -> RetAction | None:
    """Return what to do about `ret`, or None when it is a success."""
    if ret == Ret.OK:
        return None
    return _CLASS_BY_RET.get(ret, RequestError).action
