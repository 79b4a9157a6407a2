"""Operator commands for risk and maintenance: `flask margin sweep`, `flask maintenance cleanup`.

They call the services directly (no worker needed) under the same Redis locks as the tasks, so
an operator's run never overlaps a scheduled one.
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask

from tasks.maintenance import CLEANUP_LOCK, exclusive, run_cleanup
from tasks.margin import SWEEP_LOCK, run_sweep


@click.group("margin")
def margin_cli() -> None:
    """Margin calls and stop outs."""


@margin_cli.command("sweep")
def sweep_command() -> None:
    """Value every account with open positions now and stop out those due."""
    with exclusive(SWEEP_LOCK) as acquired:
        if not acquired:
            raise click.ClickException("a margin sweep is already running")
        summary = run_sweep()
    click.echo(
        f"checked {summary['checked']} accounts: margin call {summary['margin_call']}, "
        f"stop out {summary['stop_out']}, not valued {summary['unvalued']}"
    )
    for account_id, closed in summary["closed"].items():
        click.echo(f"account {account_id}: closed positions {closed}")


@click.group("maintenance")
def maintenance_cli() -> None:
    """Data retention."""


@maintenance_cli.command("cleanup")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    required=True,
    help="Remove closed positions (and their fills) closed more than DAYS days ago.",
    metavar="DAYS",
)
def cleanup_command(days: int) -> None:
    """Remove old closed positions and their fills; ledger entries and orders are kept."""
    with exclusive(CLEANUP_LOCK) as acquired:
        if not acquired:
            raise click.ClickException("a cleanup is already running")
        removed = run_cleanup(timedelta(days=days))
    click.echo(
        f"removed {removed['positions']} positions and {removed['fills']} fills "
        f"in {removed['batches']} batches"
    )


def register_risk_cli(app: Flask) -> None:
    """Attach the margin and maintenance commands to `flask`."""
    app.cli.add_command(margin_cli)
    app.cli.add_command(maintenance_cli)
