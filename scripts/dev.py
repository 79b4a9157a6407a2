"""`make run` and `make test`: local servers when needed, then the whole system or the tests.

run:  servers -> `flask db upgrade` -> `flask seed-demo` -> honcho with the Procfile; Ctrl-C stops
      every process, then the servers this command started. APP_ENV=development, always: the
      app's default is production. Flower's password and the simulator's control token are
      development secrets generated once into var/secrets (config.dev_secret); the banner shows
      the Flower login.
test: servers -> pytest with APP_ENV=testing (the tests make their own database and Redis db
      and set FX_TEST_RUN=1, without which the testing configuration refuses to start; see
      tests/conftest.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import dev_secret
from scripts import localservers

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FLOWER_USER = "admin"


def _env(urls: dict[str, str], app_env: str) -> dict[str, str]:
    env = {**os.environ, **urls, "APP_ENV": app_env}
    env.setdefault("WEB_PORT", "8000")
    env.setdefault("FLOWER_PORT", "5555")
    env.setdefault("SIMULATOR_PORT", "8765")
    if not env.get("ALLTICK_API_KEY"):  # the feed streams from this run's simulator, no other
        simulator = f"127.0.0.1:{env['SIMULATOR_PORT']}"
        env.setdefault("ALLTICK_BASE_REST", f"http://{simulator}/quote-b-api")
        env.setdefault("ALLTICK_BASE_WS", f"ws://{simulator}/quote-b-ws-api")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _dev_operator_secrets(env: dict[str, str]) -> None:
    """Give Flower a login and the simulator a control token, unless the environment has them."""
    env.setdefault("FLOWER_BASIC_AUTH", f"{FLOWER_USER}:{dev_secret('FLOWER_PASSWORD')}")
    env.setdefault("SIMULATOR_CONTROL_TOKEN", dev_secret("SIMULATOR_CONTROL_TOKEN"))


def _banner(env: dict[str, str]) -> str:
    web = f"http://127.0.0.1:{env['WEB_PORT']}"
    flower_user, _, flower_password = env["FLOWER_BASIC_AUTH"].partition(":")
    return "\n".join(
        [
            "",
            "FX backend is starting. Ctrl-C stops everything.",
            f"  Trader     {web}/",
            f"  API docs   {web}/api/docs  (OpenAPI: {web}/api/openapi.json)",
            f"  Health     {web}/health   Ready: {web}/ready",
            f"  Back office {web}/admin/   (the admin user printed above)",
            f"  WebSocket  ws://127.0.0.1:{env['WEB_PORT']}/ws?token=ACCESS_TOKEN",
            f"  Flower     http://127.0.0.1:{env['FLOWER_PORT']}"
            f"  (user {flower_user}, password {flower_password})",
            "  Simulator  control token in var/secrets/SIMULATOR_CONTROL_TOKEN",
            f"  Database   {env['DATABASE_URL']}",
            f"  Redis      {env['REDIS_URL']}",
            "",
        ]
    )


def run() -> int:
    """Start the whole system in the foreground."""
    urls, started = localservers.up()
    env = _env(urls, "development")
    _dev_operator_secrets(env)
    try:
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True)
        subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True)
        print(_banner(env), flush=True)
        return _supervise([str(BIN / "honcho"), "start", "-f", "Procfile"], env)
    finally:
        localservers.down(started)


def _supervise(command: list[str], env: dict[str, str]) -> int:
    """Run honcho; on Ctrl-C or SIGTERM make it stop every process before we return."""
    honcho = subprocess.Popen(command, cwd=ROOT, env=env)
    stopping: list[bool] = []

    def stop(*_: object) -> None:
        stopping.append(True)
        honcho.send_signal(signal.SIGINT)  # honcho stops its processes, then exits

    signal.signal(signal.SIGTERM, stop)
    while True:
        try:
            code = honcho.wait()
            return 0 if stopping else code
        except KeyboardInterrupt:
            stop()


def test(pytest_args: list[str]) -> int:
    """Run the test suite against local (or given) servers."""
    from tests.browser.chromium import INSTALL_HINT, missing

    if missing():  # said first, so it is not lost in the output: those tests fail without it
        print(f"\n{INSTALL_HINT}\n", file=sys.stderr, flush=True)
    urls, started = localservers.up()
    env = _env(urls, "testing")
    try:
        command = [str(BIN / "python"), "-m", "pytest", *pytest_args]
        return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        localservers.down(started)


def main() -> None:
    """Dispatch `run` or `test`."""
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        sys.exit("usage: dev.py run | test [pytest args]")
    code = run() if sys.argv[1] == "run" else test(sys.argv[2:])
    sys.exit(code)


if __name__ == "__main__":
    main()
