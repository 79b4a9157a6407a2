"""Benchmark: the /ws relay under gunicorn vs a bare `websockets` broadcast server, same load.

Not a test. Usage:

    .venv/bin/python bench/ws.py [--sockets 1000] [--seconds 10] [--rate 50] [--worker-class gevent]

Load: N sockets, each subscribed to 5 of 20 symbols; quotes published through the real quote
store (HSET + PUBLISH on `fx:quotes`) at `rate` ticks/s in total, round robin over the symbols.
Each quote carries the publish time in its envelope (`ts`, ms); a client measures tick-to-client
latency as receive time - ts. Memory per socket is the server's RSS growth after connecting,
divided by N. The baseline is a bare `websockets` server in its own process: one Redis
subscription, the same fan-out by symbol, no auth, no queues — the floor a relay can approach.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil
import redis
import requests
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, recreate, start_web  # noqa: E402
from scripts import localservers  # noqa: E402
from services.realtime import Channels  # noqa: E402

CHANNELS = Channels.with_prefix(os.environ.get("REDIS_CHANNEL_PREFIX", "fx"))
QUOTES_CHANNEL = CHANNELS.quotes

SYMBOLS = ["EURUSD", "GBPUSD", "USDJPY", "USDCHF", "AUDUSD", "USDCAD", "NZDUSD", "EURGBP",
           "EURJPY", "GBPJPY", "EURCHF", "AUDJPY", "EURAUD", "EURCAD", "GBPCHF", "CADJPY",
           "CHFJPY", "NZDJPY", "AUDNZD", "GBPAUD"]  # fmt: skip
PASSWORD = "bench-password-42"

BARE_SERVER = """
import asyncio, json, sys
import redis.asyncio as aioredis
import websockets
subs = {}
async def handler(ws):
    message = json.loads(await ws.recv())
    for symbol in message["symbols"]:
        subs.setdefault(symbol, set()).add(ws)
    await ws.send(json.dumps({"type": "subscribed"}))
    try:
        await ws.wait_closed()
    finally:
        for group in subs.values():
            group.discard(ws)
async def pump(url):
    pubsub = aioredis.Redis.from_url(url, decode_responses=True).pubsub()
    await pubsub.subscribe(sys.argv[3])
    async for item in pubsub.listen():
        if item["type"] == "message":
            symbol = json.loads(item["data"])["data"]["symbol"]
            websockets.broadcast(subs.get(symbol, ()), item["data"])
async def main(port, url):
    async with websockets.serve(handler, "127.0.0.1", port, max_queue=None):
        await pump(url)
asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"""


def start_relay(
    urls: dict[str, str], redis_url: str, port: int, worker_class: str
) -> subprocess.Popen[bytes]:
    """Migrate a scratch database and start gunicorn serving the app."""
    env = {**os.environ, "APP_ENV": "development", "LOG_LEVEL": "WARNING",
           "DATABASE_URL": recreate(urls["DATABASE_URL"], "fx_bench_ws"), "REDIS_URL": redis_url,
           "WEB_WORKER_CLASS": worker_class, "WEB_WORKERS": "1", "WEB_THREADS": "4000"}  # fmt: skip
    return start_web(env, port)


def token_for(port: int) -> str:
    """Register and log in the benchmark's trader."""
    base = f"http://127.0.0.1:{port}/api/auth"
    requests.post(
        f"{base}/register", json={"username": "wsbench", "password": PASSWORD}, timeout=30
    )
    login = requests.post(
        f"{base}/login", json={"username": "wsbench", "password": PASSWORD}, timeout=30
    )
    return str(login.json()["access_token"])


async def run_clients(url: str, sockets: int, seconds: float, rate: float, redis_url: str,
                      server_pids: list[int], relay: bool) -> dict[str, float]:  # fmt: skip
    """Connect, subscribe, publish for `seconds`, and measure what arrives."""
    rss_before = sum(psutil.Process(pid).memory_info().rss for pid in server_pids)
    conns = []
    for i in range(sockets):
        ws = await websockets.connect(url, max_queue=None, open_timeout=60, ping_interval=None)
        if relay:
            await ws.recv()  # snapshot
        chosen = [SYMBOLS[(i + k * 4) % len(SYMBOLS)] for k in range(5)]
        await ws.send(json.dumps({"type": "subscribe", "symbols": chosen}))
        await ws.recv()
        conns.append(ws)
    rss_after = sum(psutil.Process(pid).memory_info().rss for pid in server_pids)
    latencies: list[float] = []
    stop = asyncio.Event()

    async def reader(ws: websockets.ClientConnection) -> None:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            message = json.loads(raw)
            if message.get("type") == "quote":
                latencies.append(time.time() * 1000 - message["ts"])

    readers = [asyncio.create_task(reader(ws)) for ws in conns]
    published = await asyncio.to_thread(publish, redis_url, rate, seconds)
    await asyncio.sleep(1.0)  # let the last ticks drain before counting
    stop.set()
    await asyncio.gather(*readers)
    for ws in conns:
        await ws.close()
    return {"latencies": latencies, "published": published, "seconds": seconds,  # type: ignore[dict-item]
            "rss_per_socket_kb": (rss_after - rss_before) / sockets / 1024}  # fmt: skip


def publish(redis_url: str, rate: float, seconds: float) -> int:
    """Publish quotes through the real quote store at `rate` per second; return the count."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from services.quotes import QuoteStore, RawQuote

    store = QuoteStore(redis.Redis.from_url(redis_url, decode_responses=True))
    count, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        symbol = SYMBOLS[count % len(SYMBOLS)]
        now = datetime.now(UTC)
        quote = RawQuote(symbol, Decimal("1.10000"), Decimal("1.10002"), now, now, count)
        store.store_tick(quote, QUOTES_CHANNEL)
        count += 1
        time.sleep(max(0.0, start + count / rate - time.monotonic()))
    return count


def report(name: str, result: dict[str, float]) -> float:
    """Print one server's figures; return its p99 (ms)."""
    latencies = sorted(result["latencies"])  # type: ignore[arg-type]
    p50 = statistics.median(latencies)
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    rate = len(latencies) / result["seconds"]
    print(f"{name}: delivered {len(latencies)} quotes ({rate:.0f} msg/s) from "
          f"{result['published']:.0f} ticks; latency p50 {p50:.1f} ms p99 {p99:.1f} ms; "
          f"memory {result['rss_per_socket_kb']:.1f} KiB/socket")  # fmt: skip
    return p99


def main() -> None:
    """Run the relay and the bare server under the same load and print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--worker-class", default="gevent")
    args = parser.parse_args()
    urls, started = localservers.up()
    redis_url = urls["REDIS_URL"].rsplit("/", 1)[0] + "/6"
    redis.Redis.from_url(redis_url).flushdb()
    port, bare_port = free_port(), free_port()
    relay = start_relay(urls, redis_url, port, args.worker_class)
    bare = subprocess.Popen(
        [sys.executable, "-c", BARE_SERVER, str(bare_port), redis_url, QUOTES_CHANNEL]
    )
    try:
        token = token_for(port)
        workers = [c.pid for c in psutil.Process(relay.pid).children()]
        relay_result = asyncio.run(run_clients(
            f"ws://127.0.0.1:{port}/ws?token={token}", args.sockets, args.seconds, args.rate,
            redis_url, workers, relay=True))  # fmt: skip
        time.sleep(1)
        bare_result = asyncio.run(run_clients(
            f"ws://127.0.0.1:{bare_port}/", args.sockets, args.seconds, args.rate, redis_url,
            [bare.pid], relay=False))  # fmt: skip
    finally:
        relay.terminate()
        bare.terminate()
        relay.wait(timeout=30)
        bare.wait(timeout=30)
    print(f"sockets={args.sockets} symbols/socket=5 rate={args.rate}/s seconds={args.seconds} "
          f"worker_class={args.worker_class}")  # fmt: skip
    relay_p99 = report("relay (gunicorn)", relay_result)
    bare_p99 = report("bare websockets", bare_result)
    print(f"p99 ratio relay/bare = {relay_p99 / bare_p99:.2f} (design target <= 1.5)")
    localservers.down(started)


if __name__ == "__main__":
    main()
