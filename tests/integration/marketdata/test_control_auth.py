"""The simulator's /_control/ API answers only its token holder, and only JSON."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import pytest
import requests

from marketdata.simulator import Simulator
from marketdata.simulator.control_client import ControlClient
from tests.processes import ROOT


def test_the_token_holder_drives_the_simulator(sim: Simulator) -> None:
    control = sim.control()
    assert control.reset() == {"ok": True}
    assert "connections" in control.state()
    assert sim.config.control_token not in repr(control) + repr(sim.config)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic c2ltOnNpbQ=="},
        {"Authorization": "Bearer "},
    ],
)
def test_a_missing_or_wrong_token_is_401(sim: Simulator, headers: dict[str, str]) -> None:
    post = requests.post(f"{sim.control_url}/reset", json={}, headers=headers, timeout=5)
    get = requests.get(f"{sim.control_url}/state", headers=headers, timeout=5)
    for response in (post, get):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["ok"] is False
    with pytest.raises(requests.HTTPError):
        ControlClient(sim.control_url, "wrong-token").drop()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "enabled=1"),
        ("text/plain", '{"enabled": true}'),
        (None, '{"enabled": true}'),
    ],
)
def test_a_post_that_is_not_json_is_415(
    sim: Simulator, content_type: str | None, body: str
) -> None:
    headers = {"Authorization": f"Bearer {sim.config.control_token}"}
    if content_type:
        headers["Content-Type"] = content_type
    response = requests.post(f"{sim.control_url}/refuse", data=body, headers=headers, timeout=5)
    assert response.status_code == 415
    assert sim.control().state()["faults"]["refuse_status"] is None


def test_simulators_without_a_configured_token_get_distinct_random_ones(
    start_sim: Callable[..., Simulator],
) -> None:
    first, second = start_sim(), start_sim()
    assert len(first.config.control_token) >= 32
    assert first.config.control_token != second.config.control_token
    with pytest.raises(requests.HTTPError):
        ControlClient(first.control_url, second.config.control_token).state()


@pytest.mark.slow
def test_the_command_line_simulator_takes_its_token_from_the_environment() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"SIMULATOR_CONTROL_TOKEN": "a-control-token-for-this-test", "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [sys.executable, "-m", "marketdata.simulator", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        control = ControlClient(f"http://127.0.0.1:{port}/_control", env["SIMULATOR_CONTROL_TOKEN"])
        deadline = time.monotonic() + 30
        while True:
            try:
                assert "connections" in control.state()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the simulator did not start"
                time.sleep(0.1)  # polling until it listens
        with pytest.raises(requests.HTTPError):
            ControlClient(f"http://127.0.0.1:{port}/_control", "another-token").state()
    finally:
        process.terminate()
        process.wait(timeout=10)
