"""Logs hold no password or token, and no client value can forge a log line.

Every log record of a typical session (register, login, an authenticated call, a refused
login, a refresh, a logout) is captured at DEBUG from every logger, including SQLAlchemy's engine
(which would print SQL parameters were they not hidden) and gunicorn's access log.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import PASSWORD, bearer, login, register

ROOT = Path(__file__).resolve().parents[3]


def _every_text(records: list[logging.LogRecord]) -> str:
    parts = []
    for record in records:
        parts += [record.getMessage(), repr(record.args), repr(record.__dict__)]
    return "\n".join(parts)


def test_no_password_or_token_is_logged(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    engine_logger = logging.getLogger("sqlalchemy.engine")
    previous = engine_logger.level
    engine_logger.setLevel(logging.DEBUG)  # SQL and, were they not hidden, its parameters
    try:
        with caplog.at_level(logging.DEBUG):
            username = register(client)
            tokens = login(client, username)
            me = client.get("/api/auth/me", headers=bearer(tokens["access_token"]))
            refused = client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD + "x"}
            )
            refreshed = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
            logout = client.post(
                "/api/auth/logout",
                json={"refresh_token": tokens["refresh_token"]},
                headers=bearer(tokens["access_token"]),
            )
    finally:
        engine_logger.setLevel(previous)
    assert (me.status_code, refused.status_code, logout.status_code) == (200, 401, 204)
    assert refreshed.status_code == 200
    secrets = [
        PASSWORD,
        PASSWORD + "x",
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed.get_json()["access_token"],
    ]
    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)
    text = _every_text(caplog.records)
    for secret in secrets:
        assert secret not in text
        for part in secret.split("."):  # no JWT segment (header, claims, signature) either
            if len(part) > 30:
                assert part not in text


@pytest.mark.slow
def test_gunicorn_access_log_cannot_be_forged(test_urls: dict[str, str]) -> None:
    """A CR/LF in the path stays inside its access-log line."""
    port = _free_port()
    with tempfile.TemporaryFile("w+") as log:
        env = {**os.environ, **test_urls, "APP_ENV": "testing", "WEB_BIND": f"127.0.0.1:{port}"}
        env.update(WEB_WORKERS="1", WEB_ACCESS_LOG="1", LOG_LEVEL="WARNING")
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_until_serving(port)
            requests.get(f"http://127.0.0.1:{port}/health%0D%0Aforged=1%0Aforged=2", timeout=10)
        finally:
            process.terminate()
            process.wait(timeout=30)
        log.seek(0)
        lines = log.read().splitlines()
    access = [line for line in lines if "forged" in line]
    assert len(access) == 1, lines
    assert 'path="/health\\r\\nforged=1\\nforged=2"' in access[0]
    assert not any(line.startswith("forged") for line in lines)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.1)  # polling until gunicorn's worker answers
    pytest.fail("gunicorn did not start")
