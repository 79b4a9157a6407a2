"""Flower runs only with a login (FLOWER_BASIC_AUTH) and asks every request for it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import requests

from tests.processes import ROOT

LOGIN = ("operator", "a-flower-password-for-tests")


def _flower(env: dict[str, str], port: int, log: object) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "celery", "-A", "flower_app", "flower",
               "--conf=flowerconfig.py", "--address=127.0.0.1", f"--port={port}"]  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLOWER_")}
    return subprocess.Popen(
        command, cwd=ROOT, env={**clean, **env}, stdout=log, stderr=subprocess.STDOUT
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "credentials", [None, "operator", "operator:short", "a:b-long-enough-xx,c:d"]
)
def test_flower_refuses_to_start_without_a_proper_login(
    test_urls: dict[str, str], credentials: str | None
) -> None:
    env = {"REDIS_URL": test_urls["REDIS_URL"]}
    if credentials is not None:
        env["FLOWER_BASIC_AUTH"] = credentials
    with tempfile.TemporaryFile("w+") as log:
        process = _flower(env, _free_port(), log)
        assert process.wait(timeout=60) != 0
        log.seek(0)
        assert "set FLOWER_BASIC_AUTH=user:password" in log.read()


@pytest.mark.slow
def test_flower_asks_for_its_login(test_urls: dict[str, str]) -> None:
    port = _free_port()
    env = {"REDIS_URL": test_urls["REDIS_URL"], "FLOWER_BASIC_AUTH": ":".join(LOGIN)}
    with tempfile.TemporaryFile("w+") as log:
        process = _flower(env, port, log)
        try:
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 60
            while True:
                try:
                    anonymous = requests.get(url, timeout=5)
                    break
                except requests.ConnectionError:
                    assert process.poll() is None and time.monotonic() < deadline, "no flower"
                    time.sleep(0.2)  # polling until Flower listens
            assert anonymous.status_code == 401
            assert requests.get(url, auth=(LOGIN[0], "wrong"), timeout=5).status_code == 401
            api = requests.get(f"{url}api/workers", timeout=5)
            assert api.status_code == 401
            assert requests.get(url, auth=LOGIN, timeout=10).status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
        log.seek(0)
        assert LOGIN[1] not in log.read()
