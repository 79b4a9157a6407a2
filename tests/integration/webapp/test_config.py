"""The configuration fails closed: production by default, refusing to start when not safe;
testing only for the test runner; API docs off in production unless asked for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GOOD = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "JWT_SECRET_KEY": "j" * 40,
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "CORS_ORIGINS": "https://app.example.com",
}


START = "from webapp import create_app; app = create_app(); print('started')"
# Variables that would let a start succeed for another reason than the one under test.
UNSET = set(GOOD) | {"FX_TEST_RUN", "API_DOCS_ENABLED"}


def _start(env: dict[str, str], code: str = START) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in UNSET}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_starts_with_a_complete_configuration() -> None:
    result = _start(GOOD)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "s" * 31}, "SECRET_KEY must be at least 32 bytes"),
        ({"JWT_SECRET_KEY": ""}, "JWT_SECRET_KEY"),
        ({"JWT_SECRET_KEY": "short"}, "at least 32 bytes"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"CORS_ORIGINS": "*"}, "CORS_ORIGINS"),
        ({"CORS_ORIGINS": "https://a.example,*"}, "CORS_ORIGINS"),
    ],
)
def test_production_refuses_an_unsafe_configuration(change: dict[str, str], message: str) -> None:
    result = _start({**GOOD, **change})
    assert result.returncode != 0
    assert "ConfigError" in result.stderr
    assert message in result.stderr


def test_with_app_env_unset_the_app_is_production_and_needs_its_secrets() -> None:
    without_secrets = {k: v for k, v in GOOD.items() if k not in {"APP_ENV", "SECRET_KEY"}}
    without_secrets.pop("JWT_SECRET_KEY")
    result = _start(without_secrets)
    assert result.returncode != 0
    assert "ConfigError: production needs SECRET_KEY, JWT_SECRET_KEY" in result.stderr
    unset = {k: v for k, v in GOOD.items() if k != "APP_ENV"}
    result = _start(unset, START + "; print(app.config['APP_ENV'])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["started", "production"]


def test_testing_is_refused_unless_the_test_runner_asks_for_it() -> None:
    testing = {"APP_ENV": "testing", "DATABASE_URL": GOOD["DATABASE_URL"], "REDIS_URL": "redis://x"}
    result = _start(testing)
    assert result.returncode != 0
    assert "ConfigError: APP_ENV=testing is for the test suite only" in result.stderr
    result = _start({**testing, "FX_TEST_RUN": "1"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("enabled", "served"), [(None, False), ("0", False), ("1", True)])
def test_api_docs_are_off_in_production_unless_enabled(enabled: str | None, served: bool) -> None:
    env = GOOD if enabled is None else {**GOOD, "API_DOCS_ENABLED": enabled}
    code = START + (
        "; print(sorted(r.rule for r in app.url_map.iter_rules()"
        " if 'docs' in r.rule or 'openapi' in r.rule))"
    )
    result = _start(env, code)
    assert result.returncode == 0, result.stderr
    rules = result.stdout.splitlines()[-1]
    expected = "['/api/docs', '/api/docs/assets/<path:filename>', '/api/openapi.json']"
    assert rules == (expected if served else "[]")
