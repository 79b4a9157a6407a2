"""Worker bootsteps for the long-running loops (never endless tasks).

`celery -A celery_worker worker --feed --engine -Q marketdata -c 1` runs the market-data feed
and the positions engine inside that worker process: started after the worker's pool, stopped
with the worker. A bootstep, not a task:
an endless task would hold a pool slot forever, hit time limits and be redelivered after the
broker's visibility timeout.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, bootsteps
from click import Option

log = logging.getLogger(__name__)


class FeedStep(bootsteps.StartStopStep):
    """Run services.feed.Feed in this worker when started with --feed."""

    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker: Any, feed: bool = False, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.enabled = bool(feed)
        self.feed: Any = None

    def start(self, worker: Any) -> None:
        """Build the feed from the Flask config and start it."""
        from services.feed import feed_from_config

        flask_app = worker.app.flask_app
        self.feed = feed_from_config(flask_app.config)
        self.feed.start()
        log.info("event=feed_step_started")

    def stop(self, worker: Any) -> None:
        """Stop the feed and release its leadership."""
        if self.feed is not None:
            self.feed.stop()
            log.info("event=feed_step_stopped")


class EngineStep(bootsteps.StartStopStep):
    """Run services.engine.PositionsEngine in this worker when started with --engine."""

    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker: Any, engine: bool = False, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.enabled = bool(engine)
        self.engine: Any = None

    def start(self, worker: Any) -> None:
        """Build the engine from the Flask config and start it."""
        from models import db
        from services.engine import engine_from_config

        flask_app = worker.app.flask_app
        with flask_app.app_context():
            sql = db.engine
        self.engine = engine_from_config(flask_app.config, sql, worker.app.send_task)
        self.engine.start()
        log.info("event=engine_step_started")

    def stop(self, worker: Any) -> None:
        """Stop the engine."""
        if self.engine is not None:
            self.engine.stop()
            log.info("event=engine_step_stopped")


def install(celery_app: Celery) -> None:
    """Register the worker options and bootsteps."""
    celery_app.user_options["worker"].add(
        Option(["--feed"], is_flag=True, default=False, help="Run the market-data feed here.")
    )
    celery_app.user_options["worker"].add(
        Option(["--engine"], is_flag=True, default=False, help="Run the positions engine here.")
    )
    celery_app.steps["worker"].add(FeedStep)
    celery_app.steps["worker"].add(EngineStep)
