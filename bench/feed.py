"""Benchmark: the feed (simulator WebSocket -> Redis) against raw pipelined HSET+PUBLISH.

Not a test. Usage:

    .venv/bin/python bench/feed.py [--seconds 10] [--redis-url redis://host:port/0]

Setup: the simulator runs as its own process in fast mode (control `fast(True)`: every code
pushed as fast as its event loop can go); our `Feed` runs in this process against it and writes
to Redis. Without `--redis-url` a private redis-server is started on a free port and stopped at
the end, because PUBLISH is server-wide (not per database): thousands of bench ticks a second on
`fx:quotes` of a shared server would reach every other test's subscribers. With `--redis-url` the
bench uses database 11 of that server and the same channel names.

Figures:
- feed ticks/s: the increase of `feed:stats` `ticks_stored` over the window divided by its length;
- latency, from a subscriber in its own process on `fx:quotes`, its receive time (wall clock, ms)
  minus: `tick->sub`, the message's `ts_event` (the simulator's tick time, same host clock), so
  simulator -> WebSocket -> parse -> HSET+PUBLISH -> delivery; and `publish->sub`, the envelope's
  `ts` (set by the feed as it builds the message), so the Redis leg alone. `tick->sub` is measured
  only at a paced rate (`--paced-rate` updates per second per code, run first): saturated, the
  simulator's tick clock runs ahead of the wall clock (it steps >= 1 ms per update and never goes
  back) and the figure would be wrong; saturated latency is queueing anyway;
- baseline: the same number of ticks written from Python as one pipeline per tick of HSET (the
  quote hash, same fields) and PUBLISH (a message built by the same `tick_message`, so the same
  size) to a channel the same subscriber listens on. The feed also sets its heartbeat and counter
  in the same pipeline; the baseline does not. Design target: the feed reaches >= 50% of it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bench.common import free_port  # noqa: E402
from marketdata.alltick.ws_client import StreamSettings  # noqa: E402
from marketdata.simulator.control_client import ControlClient  # noqa: E402
from services.feed import STATS_KEY, Feed  # noqa: E402
from services.quotes import KEY_PREFIX, RawQuote, tick_message  # noqa: E402
from services.realtime import Channels  # noqa: E402

CHANNELS = Channels.with_prefix(os.environ.get("REDIS_CHANNEL_PREFIX", "fx"))
QUOTES_CHANNEL = CHANNELS.quotes

BASELINE_CHANNEL = "bench:quotes"
TOKEN = "sim-token"  # the simulator's public credential
CONTROL_TOKEN = secrets.token_urlsafe(32)  # its control API's, handed over in the environment
FAST = StreamSettings(request_spacing=0.02, reconnect_spacing=0.05, max_backoff=0.5)


def wait_for_port(port: int, what: str, timeout: float = 20.0) -> None:
    """Block until 127.0.0.1:port accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit(f"bench: {what} did not open port {port}")


def start_redis(port: int) -> subprocess.Popen[bytes]:
    """Start a private, non-persistent redis-server."""
    try:
        from scripts.localservers import _redis_server_binary

        binary = str(_redis_server_binary())
    except ImportError:
        binary = "redis-server"
    args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, "redis-server")
    return process


def start_simulator(port: int) -> subprocess.Popen[bytes]:
    """Start the simulator in its own process (its CPU is not ours)."""
    args = [sys.executable, "-m", "marketdata.simulator", "--port", str(port), "--token", TOKEN]
    env = {**os.environ, "SIMULATOR_CONTROL_TOKEN": CONTROL_TOKEN}
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for_port(port, "simulator")
    return process


def subscriber(url: str, conn: Connection) -> None:
    """Record latencies from ts_event and from publication; answer 'reset'/'report' on `conn`."""
    pubsub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(QUOTES_CHANNEL, BASELINE_CHANNEL)
    conn.send("ready")
    from_event: list[float] = []
    from_publish: list[float] = []
    counts = {QUOTES_CHANNEL: 0, BASELINE_CHANNEL: 0}
    while True:
        message = pubsub.get_message(timeout=0.05)
        if message is not None:
            received_ms = time.time() * 1000
            channel = message["channel"].decode()
            counts[channel] += 1
            if channel == QUOTES_CHANNEL:
                body = json.loads(message["data"])
                from_event.append(received_ms - body["data"]["ts_event"])
                from_publish.append(received_ms - body["ts"])
        if conn.poll():
            command = conn.recv()
            if command == "stop":
                return
            if command == "report":
                conn.send(
                    {
                        "counts": counts,
                        "event": percentiles(from_event),
                        "publish": percentiles(from_publish),
                    }
                )
            from_event.clear()
            from_publish.clear()
            counts = dict.fromkeys(counts, 0)


def percentiles(values: list[float]) -> dict[str, float]:
    """Return p50 and p99 of `values` (NaN when there are too few)."""
    if len(values) < 2:
        return {"p50": float("nan"), "p99": float("nan")}
    cuts = statistics.quantiles(values, n=100)
    return {"p50": cuts[49], "p99": cuts[98]}


def pair(figures: dict[str, float]) -> str:
    """Return 'p50 / p99' for printing."""
    return f"{figures['p50']:10.1f} / {figures['p99']:.1f}"


def ticks_stored(client: redis.Redis) -> int:
    """Return the feed's stored-tick counter."""
    return int(client.hget(STATS_KEY, "ticks_stored") or 0)


def measure_feed(client: redis.Redis, sub: Connection, seconds: float) -> dict[str, Any]:
    """Return the feed's stored ticks and the subscriber's latencies over a window."""
    sub.send("reset")
    before, started = ticks_stored(client), time.monotonic()
    time.sleep(seconds)  # the measurement window itself, not a synchronisation
    after, elapsed = ticks_stored(client), time.monotonic() - started
    sub.send("report")
    report: dict[str, Any] = sub.recv()
    return {"ticks": after - before, "rate": (after - before) / elapsed, **report}


def run_baseline(client: redis.Redis, ticks: int) -> float:
    """Write `ticks` ticks as one HSET+PUBLISH pipeline each; return ticks per second."""
    now = datetime.now(UTC)
    quote = RawQuote("EURUSD", Decimal("1.10012"), Decimal("1.10021"), now, now, 123456)
    message = tick_message(quote)
    ms = int(now.timestamp() * 1000)
    mapping = {"bid": "1.10012", "ask": "1.10021", "ts_event": ms, "received_at": ms, "seq": 1}
    started = time.perf_counter()
    for seq in range(ticks):
        mapping["seq"] = seq
        pipe = client.pipeline(transaction=False)
        pipe.hset(KEY_PREFIX + "EURUSD", mapping=mapping)
        pipe.publish(BASELINE_CHANNEL, message)
        pipe.execute()
    return ticks / (time.perf_counter() - started)


def wait_for_ticks(client: redis.Redis, timeout: float = 20.0) -> None:
    """Block until the feed has stored a tick."""
    deadline = time.monotonic() + timeout
    while ticks_stored(client) == 0:
        if time.monotonic() > deadline:
            sys.exit("bench: the feed stored no tick")
        time.sleep(0.05)


def bench(url: str, sim_port: int, seconds: float, paced_rate: float) -> None:
    """Run the saturated and paced feed windows, then the baseline, and print the figures."""
    client = redis.Redis.from_url(url, decode_responses=True)
    client.flushdb()
    parent, child = mp.get_context("spawn").Pipe()
    listener = mp.get_context("spawn").Process(target=subscriber, args=(url, child), daemon=True)
    listener.start()
    parent.recv()
    control = ControlClient(f"http://127.0.0.1:{sim_port}/_control", CONTROL_TOKEN)
    feed = Feed(client, f"ws://127.0.0.1:{sim_port}/quote-b-ws-api", TOKEN, CHANNELS, settings=FAST)
    feed.start()
    try:
        # Paced first: in fast mode the simulator's tick clock runs ahead of the wall clock
        # (it never goes back and steps at least 1 ms per update), which would skew ts_event.
        control.fast(True, rate=paced_rate)
        wait_for_ticks(client)
        paced = measure_feed(client, parent, min(seconds, 5.0))
        control.fast(True)
        dropped_before = control.state()["stats"].get("pushes_dropped_full_queue", 0)
        saturated = measure_feed(client, parent, seconds)
        dropped = control.state()["stats"].get("pushes_dropped_full_queue", 0) - dropped_before
        control.fast(False)
    finally:
        feed.stop()
    parent.send("reset")
    raw_rate = run_baseline(client, saturated["ticks"])
    parent.send("report")
    delivered = parent.recv()["counts"][BASELINE_CHANNEL]
    parent.send("stop")
    listener.join(5)
    report(saturated, dropped, paced, paced_rate, raw_rate, delivered)


def report(
    saturated: dict[str, Any],
    dropped: int,
    paced: dict[str, Any],
    paced_rate: float,
    raw_rate: float,
    delivered: int,
) -> None:
    """Print the figures."""
    print(f"feed, simulator fast (as fast as possible), {saturated['ticks']} ticks stored:")
    print(f"  ticks stored/s            {saturated['rate']:10.0f}")
    print(f"  messages seen by sub      {saturated['counts'][QUOTES_CHANNEL]:10d}")
    print(f"  pushes dropped by the sim {dropped:10d}  (its send queue to us was full)")
    print(f"  publish->sub p50/p99 (ms) {pair(saturated['publish'])}")
    print("  tick->sub                 n/a (the simulator's tick clock runs ahead when saturated)")
    print(f"feed, simulator paced at {paced_rate:g} updates/s per code:")
    print(f"  ticks stored/s            {paced['rate']:10.0f}")
    print(f"  tick->sub p50/p99 (ms)    {pair(paced['event'])}")
    print(f"  publish->sub p50/p99 (ms) {pair(paced['publish'])}")
    print(f"baseline, raw HSET+PUBLISH pipeline per tick, {saturated['ticks']} ticks:")
    print(f"  ticks/s                   {raw_rate:10.0f}  ({delivered} delivered to the sub)")
    ratio = saturated["rate"] / raw_rate
    verdict = "meets" if ratio >= 0.5 else "MISSES"
    print(f"ratio feed / raw            {ratio:10.1%}  ({verdict} the >= 50% design target)")


def main() -> None:
    """Start the servers, run the benchmark, stop what was started."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--paced-rate", type=float, default=50.0)
    parser.add_argument("--redis-url", default=None, help="use database 11 of this server")
    args = parser.parse_args()
    started: list[subprocess.Popen[bytes]] = []
    if args.redis_url:
        base = args.redis_url
        url = (base.rsplit("/", 1)[0] if base.count("/") > 2 else base) + "/11"
    else:
        redis_port = free_port()
        started.append(start_redis(redis_port))
        url = f"redis://127.0.0.1:{redis_port}/11"
    sim_port = free_port()
    started.append(start_simulator(sim_port))
    try:
        bench(url, sim_port, args.seconds, args.paced_rate)
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()
