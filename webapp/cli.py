"""Operator commands: `flask --app wsgi seed-demo`, and later accounts/engine/margin groups."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask, current_app

from models import Role, User, db
from services import users

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


def register_cli(app: Flask) -> None:
    """Attach the operator commands to `flask`."""
    app.cli.add_command(seed_demo)
