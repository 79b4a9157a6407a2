"""Worker bootsteps for the long-running loops (never endless tasks).

`celery -A celery_worker worker --feed -Q marketdata -c 1` runs the market-data feed inside that
worker process: started after the worker's pool, stopped with the worker. A bootstep, not a task:
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
    """Run marketdata.feed.Feed in this worker when started with --feed."""

    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker: Any, feed: bool = False, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.enabled = bool(feed)
        self.feed: Any = None

    def start(self, worker: Any) -> None:
        """Build the feed from the Flask config and start it."""
        from marketdata.feed import feed_from_config

        flask_app = worker.app.flask_app
        self.feed = feed_from_config(flask_app.config)
        self.feed.start()
        log.info("event=feed_step_started")

    def stop(self, worker: Any) -> None:
        """Stop the feed and release its leadership."""
        if self.feed is not None:
            self.feed.stop()
            log.info("event=feed_step_stopped")


def install(celery_app: Celery) -> None:
    """Register the worker options and bootsteps."""
    celery_app.user_options["worker"].add(
        Option(["--feed"], is_flag=True, default=False, help="Run the market-data feed here.")
    )
    celery_app.steps["worker"].add(FeedStep)
