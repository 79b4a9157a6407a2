"""Waiting for conditions, and real processes the tests start (a Celery worker)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def poll(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Return the first truthy value of predicate(), or fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)  # the interval between checks of a condition, not a guess at timing
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@contextmanager
def celery_worker(test_urls: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """Run `celery -A celery_worker worker` (solo pool) on the test database and Redis."""
    env = {**os.environ, **test_urls, "APP_ENV": "testing", "LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_worker", "worker", "--pool", "solo",
             "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
