"""A real Celery worker process, on the test Redis, runs a task sent through the broker."""

from __future__ import annotations

import subprocess

from flask import Flask


def test_ping_runs_on_a_real_worker(app: Flask, worker: subprocess.Popen[str]) -> None:
    celery = app.extensions["celery"]
    result = celery.send_task("system.ping")
    assert result.get(timeout=60) == "pong"
    assert worker.poll() is None
