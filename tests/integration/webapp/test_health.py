"""Liveness, readiness (with a Redis that really stops), the API docs and CORS."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
import requests
from flask import Flask
from flask.testing import FlaskClient

from scripts.localservers import _redis_server_binary
from services.feed import HEARTBEAT_KEY, HEARTBEAT_TTL_S

ROOT = Path(__file__).resolve().parents[3]


def test_health_touches_nothing(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_reports_every_component(client: FlaskClient, redis_client) -> None:  # type: ignore[no-untyped-def]
    redis_client.set(HEARTBEAT_KEY, int(time.time() * 1000), ex=HEARTBEAT_TTL_S)
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert {name: c["status"] for name, c in body["components"].items()} == {
        "postgres": "ok",
        "redis": "ok",
        "broker": "ok",
        "feed": "ok",
    }


def test_ready_reports_a_silent_feed(client: FlaskClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 503
    feed = response.get_json()["components"]["feed"]
    assert feed["status"] == "error"
    assert "no tick" in feed["error"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server of this test's own, which the test may stop."""
    port = _free_port()
    process = subprocess.Popen(
        [str(_redis_server_binary()), "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis_lib.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis_lib.ConnectionError:
            process.poll()
            assert process.returncode is None
            time.sleep(0.02)  # polling the server until it listens, not timing anything
    yield f"redis://127.0.0.1:{port}/0", process
    process.kill()
    process.wait()


@pytest.fixture
def web_on_private_redis(
    test_urls: dict[str, str], private_redis: tuple[str, subprocess.Popen[bytes]]
) -> Iterator[str]:
    """Serve the app in its own process, on the test database and the private Redis."""
    url, _ = private_redis
    port = _free_port()
    code = (
        "from werkzeug.serving import run_simple; from webapp import create_app; "
        f"run_simple('127.0.0.1', {port}, create_app(), threaded=True)"
    )
    env = {**os.environ, **test_urls, "REDIS_URL": url, "APP_ENV": "testing"}
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/health", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.05)  # polling until the server listens
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_ready_reports_a_stopped_redis(
    web_on_private_redis: str, private_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, process = private_redis
    redis_lib.Redis.from_url(url).set(HEARTBEAT_KEY, int(time.time() * 1000), ex=HEARTBEAT_TTL_S)
    assert requests.get(f"{web_on_private_redis}/ready", timeout=10).status_code == 200

    process.terminate()
    process.wait()

    response = requests.get(f"{web_on_private_redis}/ready", timeout=10)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["components"]["postgres"]["status"] == "ok"
    assert body["components"]["redis"]["status"] == "error"
    assert body["components"]["broker"]["status"] == "error"
    assert requests.get(f"{web_on_private_redis}/health", timeout=10).status_code == 200
    # A request that needs Redis answers 503 in the error shape, not 500.
    login = requests.post(
        f"{web_on_private_redis}/api/auth/login",
        json={"username": "someone", "password": "whatever-123"},
        timeout=10,
    )
    assert login.status_code == 503
    assert login.json()["error_code"] == "DEPENDENCY_UNAVAILABLE"


def test_openapi_document_and_docs(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    document = spec.get_json()
    assert document["openapi"].startswith("3.")
    assert "/api/auth/login" in document["paths"]
    assert "bearerAuth" in document["components"]["securitySchemes"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.data.lower()


def test_cors_allows_only_configured_origins(app: Flask, client: FlaskClient) -> None:
    allowed = app.config["CORS_ORIGINS"][0]
    preflight = client.options(
        "/api/auth/login",
        headers={"Origin": allowed, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers.get("Access-Control-Allow-Origin") == allowed
    other = client.options(
        "/api/auth/login",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in other.headers
