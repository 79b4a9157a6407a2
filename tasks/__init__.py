"""Celery wired the Flask way (pallets' `docs/patterns/celery.rst`).

The Celery app is built from the Flask config and stored in `app.extensions["celery"]`; every
task runs inside the Flask app context (reusing one already pushed). Settings are chosen for a
Redis broker; each carries its reason below.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask, has_app_context


def celery_settings(config: dict[str, Any]) -> dict[str, Any]:
    """Return Celery's settings derived from the Flask config."""
    time_limit = int(config["CELERY_TASK_TIME_LIMIT"])
    return {
        "broker_url": config["REDIS_URL"],
        "result_backend": config["REDIS_URL"],
        # Results are stored only for tasks that declare ignore_result=False.
        "task_ignore_result": True,
        # Ack on receipt by default: only tasks written to be idempotent opt in to acks_late.
        "task_acks_late": False,
        # A task killed with its worker is not redelivered as "lost" by default ...
        "task_reject_on_worker_lost": False,
        # ... and never hangs a worker slot forever.
        "task_time_limit": time_limit,
        "task_soft_time_limit": max(time_limit - 30, 1),
        # Redis redelivers unacked messages after the visibility timeout: it must exceed the
        # longest task, or a slow task would run twice while still running.
        "broker_transport_options": {"visibility_timeout": time_limit * 4},
        # One message at a time per process: margin work must not wait behind a prefetched batch.
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "timezone": "UTC",
        "enable_utc": True,
        "broker_connection_retry_on_startup": True,
        # Flower needs task events; they are cheap on Redis.
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "result_expires": 3600,
    }


def celery_init_app(app: Flask) -> Celery:
    """Build the Celery app for this Flask app and register it in app.extensions."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            if has_app_context():
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app.config))
    celery_app.conf.beat_schedule = beat_schedule()
    # Bootsteps read the Flask config through this attribute.
    celery_app.flask_app = app
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    import tasks.maintenance
    import tasks.margin
    import tasks.marketdata
    import tasks.system  # noqa: F401  (registers the tasks with the app)
    from tasks.bootsteps import install

    install(celery_app)

    return celery_app


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Return the beat schedule (declarative; beat runs exactly once)."""
    return {
        # The safety net behind the positions engine: values every account from PostgreSQL.
        "margin-sweep": {
            "task": "margin.sweep",
            "schedule": 15.0,
            "options": {"expires": 14},
        },
        # Retention of closed positions and their fills (never open ones, never the ledger).
        "maintenance-cleanup": {
            "task": "maintenance.cleanup",
            "schedule": crontab(hour=3, minute=17),
            "options": {"expires": 3600},
        },
        "feed-watchdog": {
            "task": "marketdata.feed_watchdog",
            "schedule": 30.0,
            "options": {"expires": 25},
        },
    }
