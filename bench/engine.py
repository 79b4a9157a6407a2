"""Benchmark: the positions engine's per-tick revaluation beside bare numpy on the same arrays.

Not a test. Usage:

    .venv/bin/python bench/engine.py [--positions 100000] [--accounts 20000] [--ticks 20000]

Builds the engine's book directly (no database, no Redis): every account holds positions in
distinct catalogue symbols (netting: one per account and symbol), 90% of accounts in USD and 10%
in EUR, so conversion runs both ways. Then it drives random-walk ticks through
`PositionsEngine.on_quote` — the code the engine's loop runs for each tick (parse, mids,
conversion factors through domain.conversion, vectorised revaluation, margin states) — and, in
the same run over copies of the same arrays, bare numpy doing the same arithmetic with the
conversion factors precomputed. It prints revaluations/s and per-tick p50/p99 for both, their
ratio (design target: the engine within 3x of bare numpy), and the cost of one flush of every
account's valuation event.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.instruments import INSTRUMENTS  # noqa: E402
from services.engine import EngineSettings, Levels, PositionsEngine  # noqa: E402
from services.engine import events as engine_events  # noqa: E402
from services.engine.revalue import conversion_factors  # noqa: E402
from services.realtime import Channels  # noqa: E402
from tests.quotes import MIDS  # noqa: E402

SYMBOLS = sorted(INSTRUMENTS)
START = {s: float(MIDS.get(s, "1.00000")) for s in SYMBOLS}


def build_engine(positions: int, accounts: int, rng: np.random.Generator) -> PositionsEngine:
    """Return an engine (no database, no Redis) whose book holds the generated positions."""
    settings = EngineSettings(levels=Levels(100.0, 50.0), channels=Channels.with_prefix("bench"))
    engine = PositionsEngine(None, None, lambda name, args: None, settings)  # type: ignore[arg-type]
    book = engine.book
    per_account = positions // accounts
    for account_id in range(1, accounts + 1):
        currency = "EUR" if account_id % 10 == 0 else "USD"
        row = book.accounts.upsert(account_id, 1_000_000.0, currency, 1)
        for symbol in rng.choice(SYMBOLS, size=per_account, replace=False):
            lots = float(rng.integers(1, 500)) / 100
            sign = 1.0 if rng.random() < 0.5 else -1.0
            contract = float(INSTRUMENTS[symbol].contract_size)
            avg = START[symbol] * (1 + rng.normal(0, 0.002))
            units = lots * contract
            book.symbol_book(symbol).add(book.accounts, row, sign * units, avg, units / 100)
    for symbol in SYMBOLS:  # price everything once, as the load does
        engine.on_quote(quote(symbol, START[symbol]))
    return engine


def quote(symbol: str, mid: float) -> dict[str, Any]:
    """Return a tick's data as it arrives on fx:quotes (client prices as decimal strings)."""
    digits = INSTRUMENTS[symbol].digits
    spread = 2 * float(INSTRUMENTS[symbol].point)
    return {"symbol": symbol, "bid": f"{mid:.{digits}f}", "ask": f"{mid + spread:.{digits}f}"}


def tick_stream(ticks: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Return random-walk ticks over random symbols."""
    mids = dict(START)
    stream = []
    for symbol in rng.choice(SYMBOLS, size=ticks):
        mids[symbol] *= 1 + rng.normal(0, 0.0002)
        stream.append(quote(symbol, mids[symbol]))
    return stream


def run_engine(engine: PositionsEngine, stream: list[dict[str, Any]]) -> list[int]:
    """Return per-tick nanoseconds of the engine's tick path."""
    costs = []
    for data in stream:
        started = time.perf_counter_ns()
        engine.on_quote(data)
        costs.append(time.perf_counter_ns() - started)
    return costs


def bare_arrays(engine: PositionsEngine) -> dict[str, Any]:
    """Copy the engine's arrays for the bare numpy run, with conversion factors precomputed."""
    accounts = engine.book.accounts
    mids = {s: Decimal(str(m)) for s, m in START.items()}
    books = {}
    for symbol, book in engine.book.symbols.items():
        n = book.size
        qf = conversion_factors(book.quote_currency, accounts.currencies, mids)
        bf = conversion_factors(book.base_currency, accounts.currencies, mids)
        books[symbol] = {
            "idx": book.account[:n].copy(), "units": book.units[:n].copy(),
            "avg": book.avg_price[:n].copy(), "mb": book.margin_base[:n].copy(),
            "qf": qf[book.currency[:n]], "bf": bf[book.currency[:n]],
            "pnl": book.pnl[:n].copy(), "margin": book.margin[:n].copy(),
        }  # fmt: skip
    n = accounts.size
    return {
        "books": books,
        "balance": accounts.balance[:n].copy(),
        "pnl": accounts.pnl[:n].copy(),
        "margin": accounts.margin[:n].copy(),
    }


def run_bare(arrays: dict[str, Any], stream: list[dict[str, Any]]) -> list[int]:
    """Return per-tick nanoseconds of bare numpy doing the same arithmetic."""
    balance, acct_pnl, acct_margin = arrays["balance"], arrays["pnl"], arrays["margin"]
    costs = []
    for data in stream:
        started = time.perf_counter_ns()
        b = arrays["books"][data["symbol"]]
        bid, ask, idx = float(data["bid"]), float(data["ask"]), b["idx"]
        pnl = (np.where(b["units"] > 0, bid, ask) - b["avg"]) * b["units"] * b["qf"]
        margin = b["mb"] * b["bf"]
        acct_pnl[idx] += pnl - b["pnl"]
        acct_margin[idx] += margin - b["margin"]
        b["pnl"][:] = pnl
        b["margin"][:] = margin
        level = (balance[idx] + acct_pnl[idx]) / acct_margin[idx] * 100.0
        _state = (level <= 100.0).astype(np.int8) + (level <= 50.0)
        costs.append(time.perf_counter_ns() - started)
    return costs


def summary(name: str, costs: list[int], revaluations: int) -> float:
    """Print and return revaluations/s; print per-tick p50 and p99."""
    total_s = sum(costs) / 1e9
    cuts = statistics.quantiles(costs, n=100)
    rate = revaluations / total_s
    print(
        f"{name:<12} {rate / 1e6:8.2f} M revaluations/s  {len(costs) / total_s:9.0f} ticks/s  "
        f"p50 {cuts[49] / 1000:7.1f} us  p99 {cuts[98] / 1000:7.1f} us"
    )
    return rate


def main() -> None:
    """Build the book, run both, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--ticks", type=int, default=20_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    engine = build_engine(args.positions, args.accounts, rng)
    sizes = {s: b.size for s, b in engine.book.symbols.items()}
    stream = tick_stream(args.ticks, rng)
    revaluations = sum(sizes[d["symbol"]] for d in stream)
    print(
        f"{sum(sizes.values())} positions, {engine.book.accounts.size} accounts, "
        f"{len(sizes)} symbols (~{sum(sizes.values()) // len(sizes)} positions each), "
        f"{args.ticks} ticks"
    )
    arrays = bare_arrays(engine)
    run_bare(arrays, stream[:500])  # warm up both
    run_engine(engine, stream[:500])
    engine_rate = summary("engine", run_engine(engine, stream), revaluations)
    bare_rate = summary("bare numpy", run_bare(arrays, stream), revaluations)
    print(f"ratio bare/engine: {bare_rate / engine_rate:.2f}x (target <= 3x)")
    started = time.perf_counter()
    valued = engine_events.due_valuations(
        engine.book.accounts, time.monotonic() + 10, 0.25, engine.book.accounts.size
    )
    elapsed = time.perf_counter() - started
    print(f"flush: {len(valued)} account.valued events built in {elapsed * 1000:.0f} ms")


if __name__ == "__main__":
    main()
