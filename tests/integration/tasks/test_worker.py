"""A real Celery worker process, on the test Redis, runs a task sent through the broker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker(app: Flask, test_urls: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """Start `celery -A celery_worker worker` against the test database and Redis."""
    env = {**os.environ, **test_urls, "APP_ENV": "testing", "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_worker", "worker",
         "--pool", "solo", "--concurrency", "1", "--without-gossip", "--without-mingle",
         "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_ping_runs_on_a_real_worker(app: Flask, worker: subprocess.Popen[str]) -> None:
    celery = app.extensions["celery"]
    result = celery.send_task("system.ping")
    assert result.get(timeout=60) == "pong"
    assert worker.poll() is None
