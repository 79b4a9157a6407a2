"""Liveness, readiness (with a Redis that really stops), the API docs and CORS."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient

from config import TestingConfig
from scripts.localservers import _redis_server_binary
from webapp import create_app


def test_health_touches_nothing(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_reports_every_component(client: FlaskClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert {name: c["status"] for name, c in body["components"].items()} == {
        "postgres": "ok",
        "redis": "ok",
        "broker": "ok",
    }


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


def test_ready_reports_a_stopped_redis(
    test_urls: dict[str, str], private_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, process = private_redis
    app = create_app(TestingConfig, overrides={**test_urls, "REDIS_URL": url})
    client = app.test_client()
    assert client.get("/ready").status_code == 200

    process.terminate()
    process.wait()

    response = client.get("/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["components"]["postgres"]["status"] == "ok"
    assert body["components"]["redis"]["status"] == "error"
    assert body["components"]["broker"]["status"] == "error"
    assert client.get("/health").status_code == 200


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
