"""Operator commands: `flask --app wsgi seed-demo`, `flask accounts add-capital`,
`flask ledger verify`, ...

Amounts on the command line are read as exact decimals (never float): finite, positive, at most
two decimal places.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from domain.errors import DomainError
from domain.records import LedgerKind
from models import Role, User, db
from schemas.fields import IDEMPOTENCY_KEY
from services import users
from services.accounts import adjust_balance
from services.ledger_check import verify_ledger
from webapp.context import collaborators

CREDENTIALS_FILE = Path(__file__).resolve().parent.parent / "var" / "demo-credentials.txt"


def _defaults() -> users.AccountDefaults:
    config = current_app.config
    return users.AccountDefaults(
        currency=config["DEFAULT_ACCOUNT_CURRENCY"],
        leverage=config["DEFAULT_LEVERAGE"],
        demo_balance=config["DEMO_BALANCE"],
    )


def _ensure_user(username: str, role: Role) -> str | None:
    """Create the user with a random password; return it, or None if the user exists."""
    if db.session.scalar(db.select(User).where(User.username == username)) is not None:
        return None
    password = secrets.token_urlsafe(12) + "-7a"
    users.register_user(db.session, username, password, _defaults(), role=role)
    return password


@click.command("seed-demo")
def seed_demo() -> None:
    """Create a demo trader and an admin with generated passwords (printed, kept in ./var)."""
    lines = []
    for username, role in (("demo", Role.TRADER), ("admin", Role.ADMIN)):
        password = _ensure_user(username, role)
        if password is not None:
            lines.append(f"{username} ({role.value}) password: {password}")
    if lines:
        CREDENTIALS_FILE.parent.mkdir(parents=True, exist_ok=True)
        with CREDENTIALS_FILE.open("a") as handle:
            handle.write("".join(line + "\n" for line in lines))
        CREDENTIALS_FILE.chmod(0o600)
    click.echo("\n".join(lines) or f"demo users exist; their passwords are in {CREDENTIALS_FILE}")


MAX_CLI_AMOUNT = Decimal(10) ** 12


class MoneyAmount(click.ParamType):
    """A positive amount of money with at most two decimal places, read as a Decimal."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Return the amount as a Decimal, or fail with a usage error saying why."""
        try:
            amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not amount.is_finite() or amount <= 0:
            self.fail(f"{value!r} must be a finite amount greater than 0", param, ctx)
        if amount > MAX_CLI_AMOUNT:
            self.fail(f"{value!r} is more than {MAX_CLI_AMOUNT}", param, ctx)
        exponent = amount.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            self.fail(f"{value!r} has more than 2 decimal places", param, ctx)
        return amount


CLI_ACTOR_ID = 0  # ledger reference "admin:0": booked from the command line


# An AppGroup runs its commands inside the app context, as `flask` commands do.
accounts_cli = AppGroup("accounts", help="Manage trading accounts.")


@accounts_cli.command("add-capital")
@click.argument("username")
@click.argument("amount", type=MoneyAmount())
@click.option("--reason", default="capital added from the command line", show_default=True)
@click.option(
    "--idempotency-key",
    help="Book at most once under this key: running the same command again with it books "
    "nothing and prints the first result (1-128 visible ASCII characters).",
)
def add_capital(username: str, amount: Decimal, reason: str, idempotency_key: str | None) -> None:
    """Deposit AMOUNT (account currency) into USERNAME's trading account."""
    if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise click.BadParameter(
            "1 to 128 visible ASCII characters", param_hint="--idempotency-key"
        )
    if not reason.strip() or len(reason) > 255:
        raise click.BadParameter("must be 1 to 255 characters", param_hint="--reason")
    user = db.session.scalar(
        db.select(User).where(User.username == users.normalise_username(username))
    )
    account = users.primary_account(db.session, user.id) if user is not None else None
    if account is None:
        raise click.ClickException(f"no user {username!r} with a trading account")
    try:
        adjustment = adjust_balance(
            db.session,
            collaborators(),
            account.id,
            LedgerKind.DEPOSIT,
            amount,
            reason.strip(),
            CLI_ACTOR_ID,
            idempotency_key,
        )
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    entry = adjustment.entry
    click.echo(
        ("already booked under this key: " if adjustment.replayed else "")
        + f"deposited {amount:.2f} {account.currency} into account {account.id} "
        f"({user.username if user else username}): balance {entry.balance_after:.2f}, "
        f"txn_seq {entry.txn_seq}"
    )


ledger_cli = AppGroup("ledger", help="Check the books.")


@ledger_cli.command("verify")
@click.option("--account", "account_id", type=click.IntRange(min=1), help="Only this account.")
def verify(account_id: int | None) -> None:
    """Check the ledger invariants (services/ledger_check.py); exit 1 on any violation."""
    report = verify_ledger(
        db.engine,
        now=datetime.now(UTC),
        retention_days=current_app.config["RETENTION_DAYS"],
        account_id=account_id,
    )
    click.echo("\n".join(report.lines()))
    if not report.ok:
        raise SystemExit(1)


def register_cli(app: Flask) -> None:
    """Attach the operator commands to `flask`."""
    app.cli.add_command(seed_demo)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(ledger_cli)
