"""Log lines that no client value can forge: line breaks inside a message are escaped.

Policy: every log record's message is formatted once, when the record is made, and the
characters that end a line (CR, LF and the others `str.splitlines` splits on) are written as
escapes (`\\r`, `\\n`, `\\x0b`, ...), so a path, a username or any other value from a client stays
inside its one line. `install` makes this the process's LogRecord factory, so it covers every
logger and handler (Flask, Celery, gunicorn's error and access logs) whoever configures them; it
is called by create_app() and by gunicorn.conf.py. Tracebacks keep their lines: the formatter
appends them after the message. This module imports nothing but the standard library, so
gunicorn's master can load it before its workers patch anything.
"""

from __future__ import annotations

import logging
from typing import Any

_ESCAPES = {
    "\r": "\\r",
    "\n": "\\n",
    "\x0b": "\\x0b",
    "\x0c": "\\x0c",
    "\x1c": "\\x1c",
    "\x1d": "\\x1d",
    "\x1e": "\\x1e",
    "\x85": "\\x85",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_TABLE = str.maketrans(_ESCAPES)


def escape(text: str) -> str:
    """Return `text` with every line-ending character escaped."""
    return text.translate(_TABLE)


class _SafeFactory:
    """A LogRecord factory that stores each record's message formatted and escaped."""

    def __init__(self, previous: Any) -> None:
        self.previous = previous

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to logging's own error report
            return record
        record.msg, record.args = escape(message), ()
        return record


def install() -> None:
    """Make every log record of this process escape line breaks (idempotent)."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _SafeFactory):
        logging.setLogRecordFactory(_SafeFactory(current))
