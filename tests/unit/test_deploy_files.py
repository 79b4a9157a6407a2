"""docker-compose.yml, the Procfile and .env.example agree with the code.

Docker does not run on our machines, so these files would rot silently; this test reads them.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = {"migrate", "web", "worker", "feed", "beat", "flower"}


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _procfile() -> dict[str, list[str]]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = shlex.split(command)
    return entries


def _variables_read_by_config() -> set[str]:
    sources = (ROOT / "config.py").read_text() + (ROOT / "gunicorn.conf.py").read_text()
    return set(
        re.findall(r"""env(?:_str|_int|_bool|_list|_decimal)?\(\s*["']([A-Z_]+)["']""", sources)
    ) | set(re.findall(r"""os\.environ\.get\(\s*["']([A-Z_]+)["']""", sources))


def _documented_variables() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE))


def test_compose_has_every_process_with_healthchecks() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis"} | APP_SERVICES <= set(services)
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert services["migrate"]["command"][-2:] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"


def test_app_services_get_the_production_environment() -> None:
    services = _compose()["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["APP_ENV"] == "production", name
        for variable in (
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "JWT_SECRET_KEY",
            "CORS_ORIGINS",
        ):
            assert env.get(variable), f"{name} lacks {variable}"
        assert "*" not in env["CORS_ORIGINS"]
        unknown = set(env) - _variables_read_by_config()
        assert not unknown, f"{name} sets variables nothing reads: {unknown}"


def test_compose_commands_match_the_procfile() -> None:
    services, procfile = _compose()["services"], _procfile()
    for name in ("web", "worker", "feed", "beat", "flower"):
        compose_command, local_command = services[name]["command"], procfile[name]
        assert compose_command[:4] == local_command[:4], name


def test_entry_points_exist() -> None:
    commands = [
        service["command"] for service in _compose()["services"].values() if "command" in service
    ]
    text = " ".join(" ".join(command) for command in commands)
    assert "wsgi:app" in text
    assert (ROOT / "wsgi.py").read_text().count("app = create_app()") == 1
    assert "celery = flask_app.extensions" in (ROOT / "celery_worker.py").read_text()
    assert (ROOT / "gunicorn.conf.py").exists()


def test_every_variable_is_documented_in_env_example() -> None:
    missing = _variables_read_by_config() - _documented_variables()
    assert not missing, f".env.example does not document {sorted(missing)}"


def test_no_secret_values_are_committed() -> None:
    example = (ROOT / ".env.example").read_text()
    for variable in ("SECRET_KEY", "JWT_SECRET_KEY", "ALLTICK_API_KEY"):
        assert re.search(rf"^{variable}=$", example, flags=re.MULTILINE), variable
