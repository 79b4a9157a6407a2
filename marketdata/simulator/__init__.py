"""An Alltick-compatible market-data simulator for tests, demos and `make run`.

What it serves: docs/alltick-protocol.md, 7. The simulator.

Use in-process: `Simulator(SimulatorConfig(port=0)).start_in_thread() -> (host, port)`, `.stop()`.
From the shell: `python -m marketdata.simulator --host 127.0.0.1 --port 8765`.
The simulator ticks 24/7: it ignores market hours, so a demo on a Saturday still moves.
"""

from marketdata.simulator.config import SimLimits, SimulatorConfig
from marketdata.simulator.server import Simulator

__all__ = ["SimLimits", "Simulator", "SimulatorConfig"]
