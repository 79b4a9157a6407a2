"""Run the simulator: `python -m marketdata.simulator --host 127.0.0.1 --port 8765`.

Policy: flags override SIMULATOR_* environment variables, which override the defaults. The
simulator ticks 24/7.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging

from marketdata.simulator.config import SimLimits, SimulatorConfig
from marketdata.simulator.server import Simulator


def parse_args(argv: list[str] | None = None) -> SimulatorConfig:
    """Return the config given by the environment and the command line."""
    base = SimulatorConfig.from_env()
    parser = argparse.ArgumentParser(prog="python -m marketdata.simulator")
    parser.add_argument("--host", default=base.host)
    parser.add_argument("--port", type=int, default=base.port)
    parser.add_argument("--token", default=base.token)
    parser.add_argument("--seed", type=int, default=base.seed)
    parser.add_argument("--heartbeat-timeout", type=float, default=base.heartbeat_timeout_s)
    parser.add_argument(
        "--limits", choices=["off", "free", "basic", "premium", "professional"], default=None
    )
    parser.add_argument("--numbers", choices=["int", "string"], default=base.numbers)
    parser.add_argument("--time-unit", choices=["ms", "s"], default=base.time_unit)
    args = parser.parse_args(argv)
    limits = base.limits
    if args.limits is not None:
        limits = None if args.limits == "off" else SimLimits.for_plan(args.limits)
    return dataclasses.replace(
        base,
        host=args.host,
        port=args.port,
        token=args.token,
        seed=args.seed,
        heartbeat_timeout_s=args.heartbeat_timeout,
        limits=limits,
        numbers=args.numbers,
        time_unit=args.time_unit,
    )


def main(argv: list[str] | None = None) -> None:
    """Run the simulator until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    Simulator(parse_args(argv)).run()


if __name__ == "__main__":
    main()
