"""Benchmark: the margin sweep over 100,000 accounts beside a bare scan of the same rows, and
the positions engine's full reload of the same book.

Not a test. Usage (servers from DATABASE_URL/REDIS_URL, or the local ones under ./var):

    .venv/bin/python bench/sweep.py [--accounts 100000] [--runs 5]

It creates the database `fx_sweep` with `--accounts` accounts, each holding one open position
(random catalogue symbol, 10% of the accounts in EUR, 1% close to their margin call), and fresh
quotes in Redis db 14. Then, in the same run:
- sweep: `services.risk.sweep_margin` (one query, the float screen, exact Decimal for the
  accounts near the margin-call level), median of `--runs`;
- baseline: the bare scan of the same rows (the sweep's own query, all rows fetched), median;
- their ratio (design target: at most 3x);
- the engine: a blocking full reload (`reload_all`, what the loop waited for before reloads ran
  in the background), then a background reload while ticks keep being revalued: the longest
  the tick loop was held (the swap) and how many ticks it revalued meanwhile.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate  # noqa: E402
from scripts import localservers  # noqa: E402

SEED_SQL = """
INSERT INTO users (id, username, password_hash, role, is_active, created_at)
SELECT n, 'sweep' || n, 'x', 'trader', true, now() FROM generate_series(1, :n) AS n;
INSERT INTO accounts (id, user_id, currency, balance, leverage, status, txn_seq, created_at)
SELECT n, n, CASE WHEN n % 10 = 0 THEN 'EUR' ELSE 'USD' END,
       CASE WHEN n % 100 = 0 THEN 1200 ELSE 100000 END, 100, 'active', 1, now()
FROM generate_series(1, :n) AS n;
"""


def seed(url: str, accounts: int) -> None:
    """Create the accounts and their positions (one each) straight in SQL."""
    import psycopg

    from domain.instruments import INSTRUMENTS
    from tests.quotes import MIDS

    rng = random.Random(7)
    symbols = sorted(MIDS)
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in SEED_SQL.strip().split(";\n"):
            conn.execute(statement.replace(":n", str(accounts)))
        with conn.cursor().copy(
            "COPY positions (id, account_id, symbol, side, lots, max_lots, avg_price,"
            " realized_pnl, status, opened_at, txn_seq) FROM STDIN"
        ) as copy:
            for n in range(1, accounts + 1):
                symbol = symbols[rng.randrange(len(symbols))]
                lots = Decimal(rng.randrange(1, 100)) / 100
                if n % 100 == 0:  # a small account holding a full lot: near its margin call
                    lots = Decimal(1)
                digits = INSTRUMENTS[symbol].digits
                avg = round(Decimal(MIDS[symbol]) * Decimal(1 + rng.gauss(0, 0.001)), digits)
                side = "BUY" if rng.random() < 0.5 else "SELL"
                copy.write_row(
                    (n, n, symbol, side, lots, lots, avg, 0, "open", datetime.now(UTC), 1)
                )
        for table in ("users", "accounts", "positions"):
            conn.execute(f"SELECT setval('{table}_id_seq', {accounts + 1})")
        conn.execute("ANALYZE")


def timed(function, runs: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Return the median time of `runs` calls and the last result."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def engine_reload(app, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    """Time a blocking reload, then a background one while ticks keep being revalued."""
    import redis

    from models import db
    from services.engine import engine_from_config
    from tests.quotes import MIDS

    with app.app_context():
        sql = db.engine
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    engine = engine_from_config(app.config, sql, lambda name, args: None, client)
    blocking, _ = timed(engine.reload_all, 3)
    print(f"engine: blocking full reload of {engine.book.accounts.size} accounts: "
          f"{blocking * 1000:.0f} ms (median of 3)")  # fmt: skip
    symbols, rng = sorted(MIDS), random.Random(3)
    engine.book.accounts.dirty[:] = False  # the blocking reloads' valuations: not this measure

    def tick() -> float:
        symbol = symbols[rng.randrange(len(symbols))]
        mid = Decimal(MIDS[symbol]) * Decimal(1 + rng.gauss(0, 0.0005))
        moment = time.perf_counter()
        engine.on_quote({"symbol": symbol, "bid": str(mid), "ask": str(mid)})
        engine._housekeeping()
        return time.perf_counter() - moment

    calm = sorted(tick() for _ in range(200))
    engine.book.accounts.dirty[:] = False
    held: list[float] = []
    engine._begin_reload()
    started = time.perf_counter()
    while engine._loader is not None:
        held.append(tick())
    elapsed = time.perf_counter() - started
    held.sort()
    print(f"engine: tick without a reload p50 {calm[100] * 1000:.2f} ms, p99 "
          f"{calm[198] * 1000:.2f} ms; background reload took {elapsed * 1000:.0f} ms, "
          f"{len(held)} ticks revalued meanwhile: p50 {held[len(held) // 2] * 1000:.2f} ms, "
          f"p99 {held[int(len(held) * 0.99)] * 1000:.2f} ms, "
          f"longest {held[-1] * 1000:.1f} ms (includes the swap)")  # fmt: skip


def main() -> None:
    """Seed, then time the sweep, the bare scan and the engine's reload."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    urls, started = localservers.up()
    redis_url = urls["REDIS_URL"].rsplit("/", 1)[0] + "/14"
    database = recreate(urls["DATABASE_URL"], "fx_sweep")
    os.environ.update({"DATABASE_URL": database, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"})
    import redis
    from flask_migrate import upgrade

    from models import db
    from services.booking import collaborators_from
    from services.engine.loader import open_positions
    from services.risk import sweep_margin
    from tests.quotes import put_market
    from webapp import create_app

    app = create_app("development")
    with app.app_context():
        upgrade()
    seed(database, args.accounts)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    put_market(client)
    with app.app_context():
        deps = collaborators_from(app.config, db.engine, client)
        engine = db.engine

        def bare_scan() -> int:
            with engine.connect() as connection:
                return sum(len(chunk) for chunk in open_positions(connection))

        def sweep() -> object:
            return sweep_margin(deps, Decimal(100), Decimal(50), datetime.now(UTC))

        scan_time, rows = timed(bare_scan, args.runs)
        sweep_time, found = timed(sweep, args.runs)
    print(f"accounts={args.accounts} rows={rows} runs={args.runs}")
    print(f"baseline: bare scan of the same rows: {scan_time * 1000:.0f} ms (median)")
    print(f"sweep: {sweep_time * 1000:.0f} ms (median); checked {found.checked}, "  # type: ignore[attr-defined]
          f"margin call {len(found.margin_call)}, stop out {len(found.stop_out)}, "  # type: ignore[attr-defined]
          f"not valued {len(found.unvalued)}")  # type: ignore[attr-defined]  # fmt: skip
    print(f"ratio sweep : bare scan = {sweep_time / scan_time:.2f} (design target <= 3)")
    engine_reload(app, redis_url)
    localservers.down(started)


if __name__ == "__main__":
    main()
