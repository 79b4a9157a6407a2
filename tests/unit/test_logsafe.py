"""logsafe: a client's value cannot start a new log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import logsafe


@pytest.fixture
def factory() -> Iterator[None]:
    previous = logging.getLogRecordFactory()
    logsafe.install()
    yield
    logging.setLogRecordFactory(previous)


def _record(msg: object, *args: object) -> logging.LogRecord:
    return logging.getLogRecordFactory()("t", logging.INFO, __file__, 1, msg, args, None)


@pytest.mark.usefixtures("factory")
@pytest.mark.parametrize(
    "value", ["alice\r\nts=x level=INFO forged=1", "a\nb", "a\rb", "a\u2028b", "a\x85b", "a\x0bb"]
)
def test_line_breaks_in_arguments_are_escaped(value: str) -> None:
    record = _record("event=login username=%s", value)
    message = record.getMessage()
    assert len(message.splitlines()) == 1
    assert message.startswith("event=login username=a")


@pytest.mark.usefixtures("factory")
def test_messages_and_objects_are_escaped_and_plain_text_is_unchanged() -> None:
    assert _record("path=/x\r\nforged").getMessage() == "path=/x\\r\\nforged"
    assert _record("value=%r", ValueError("a\nb")).getMessage() == "value=ValueError('a\\nb')"
    assert _record("n=%d s=%s", 3, "plain").getMessage() == "n=3 s=plain"
    assert _record("%(path)s", {"path": "/a\nb"}).getMessage() == "/a\\nb"


@pytest.mark.usefixtures("factory")
def test_install_is_idempotent_and_a_bad_format_is_left_to_logging() -> None:
    logsafe.install()
    logsafe.install()
    assert _record("a\nb").getMessage() == "a\\nb"
    bad = _record("%d", "not a number")
    with pytest.raises(TypeError):
        bad.getMessage()
