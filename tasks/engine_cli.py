"""Operator command: `flask --app wsgi engine run` runs the positions engine in the foreground.

For debugging and for running the engine outside the feed worker; Ctrl-C stops it. Stop outs are
enqueued through the app's Celery broker by name, as the worker's EngineStep does.
"""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from models import db
from services.engine import engine_from_config

engine_cli = AppGroup("engine", help="The positions engine.")


@engine_cli.command("run")
def run() -> None:
    """Run the positions engine in the foreground until interrupted."""
    logging.basicConfig(level=current_app.config.get("LOG_LEVEL", "INFO"))
    celery_app = current_app.extensions["celery"]
    engine = engine_from_config(current_app.config, db.engine, celery_app.send_task)
    click.echo("positions engine running; Ctrl-C stops it")
    try:
        engine.run()
    except KeyboardInterrupt:
        click.echo("positions engine stopped")


def register_engine_cli(app: Flask) -> None:
    """Register the `engine` command group on the app."""
    app.cli.add_command(engine_cli)
