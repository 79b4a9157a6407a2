"""Assemble the simulator (WebSocket, REST and control on one host and port) and run it.

Policy: one aiohttp application serves both path families; `run` blocks (the CLI), while
`start_in_thread` runs the same server on its own event loop thread for tests and returns the bound
(host, port) (port 0 picks a free one). `stop` closes every WebSocket, then the server. The
control API needs a token: the configured one, or a random one made here that only the owner of
this `Simulator` knows (`control()` returns a client that sends it).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from marketdata.simulator.config import SimulatorConfig
from marketdata.simulator.control import add_control_routes
from marketdata.simulator.instruments import FOREX, STOCK
from marketdata.simulator.rest_server import add_rest_routes
from marketdata.simulator.state import SimState
from marketdata.simulator.ticker import Ticker
from marketdata.simulator.ws_server import make_ws_handler

if TYPE_CHECKING:  # the client needs requests, which the simulator's own image does not have
    from marketdata.simulator.control_client import ControlClient

log = logging.getLogger(__name__)
PATHS = {
    FOREX: ("/quote-b-ws-api", "/quote-b-api"),
    STOCK: ("/quote-stock-b-ws-api", "/quote-stock-b-api"),
}


def create_app(state: SimState) -> web.Application:
    """Build the aiohttp application of one simulator."""
    app = web.Application()
    for family, (ws_path, rest_prefix) in PATHS.items():
        app.router.add_get(ws_path, make_ws_handler(state, family))
        add_rest_routes(app, state, rest_prefix, family)
    add_control_routes(app, state)

    async def close_websockets(_: web.Application) -> None:
        await asyncio.gather(*(conn.ws.close() for conn in list(state.connections)))

    app.on_shutdown.append(close_websockets)
    return app


class Simulator:
    """An Alltick-compatible server for tests, demos and `make run`."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        config = config or SimulatorConfig()
        if not config.control_token:
            log.info("sim_control_token generated=true (SIMULATOR_CONTROL_TOKEN is not set)")
            config = dataclasses.replace(config, control_token=secrets.token_urlsafe(32))
        self.config = config
        self.state = SimState(self.config)
        self.host, self.port = self.config.host, self.config.port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    def ws_url(self, family: str = FOREX) -> str:
        """Return the WebSocket base URL (without token) of a path family."""
        return f"ws://{self.host}:{self.port}{PATHS[family][0]}"

    def rest_url(self, family: str = FOREX) -> str:
        """Return the REST base URL of a path family."""
        return f"http://{self.host}:{self.port}{PATHS[family][1]}"

    @property
    def control_url(self) -> str:
        """Return the base URL of the control API."""
        return f"http://{self.host}:{self.port}/_control"

    def control(self) -> ControlClient:
        """Return a client of this simulator's control API, with its token."""
        from marketdata.simulator.control_client import ControlClient

        return ControlClient(self.control_url, self.config.control_token)

    async def serve(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serve until `stop` is called."""
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        # No access log: request URLs carry the token.
        runner = web.AppRunner(create_app(self.state), shutdown_timeout=2.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        await site.start()
        self.host, self.port = runner.addresses[0][:2]
        ticker = asyncio.create_task(Ticker(self.state).run())
        log.info("sim_listening host=%s port=%s seed=%s", self.host, self.port, self.config.seed)
        if on_ready is not None:
            on_ready()
        try:
            await self._stop.wait()
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await runner.cleanup()

    def run(self) -> None:
        """Serve in the current thread until interrupted."""
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self.serve())

    def start_in_thread(self, timeout: float = 10.0) -> tuple[str, int]:
        """Serve on a daemon thread; return the bound (host, port)."""
        ready = threading.Event()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self.serve(ready.set)), name="alltick-sim", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("simulator did not start")
        return self.host, self.port

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and join the thread started by `start_in_thread`."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
