"""What the benchmark scripts share: ports, scratch databases, a gunicorn under test."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(base: str, name: str) -> str:
    """Return `base` pointing at database `name`."""
    from sqlalchemy.engine import make_url

    return make_url(base).set(database=name).render_as_string(hide_password=False)


def recreate(base: str, name: str) -> str:
    """Drop and create database `name` on the server of `base`; return its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(database_url(base, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return database_url(base, name)


def start_web(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Migrate env's database, start gunicorn on the port, and wait until /health answers."""
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)  # fmt: skip
    process = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, env={**env, "WEB_BIND": f"127.0.0.1:{port}", "WEB_ACCESS_LOG": "0"},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not start")


def percentile(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
