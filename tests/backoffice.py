"""Helpers for back office tests: admins, signing in, and reading and posting the HTML forms."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from models import LedgerEntry, Role, User, db
from tests.helpers import PASSWORD, register


def make_admin(app: Flask, client: FlaskClient) -> str:
    """Register a user through the API, make them an admin in the database; return the name."""
    username = register(client)
    with app.app_context():
        db.session.execute(update(User).where(User.username == username).values(role=Role.ADMIN))
        db.session.commit()
    return username


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Post the back office login form as a browser would; return the response."""
    fields = form_fields(client.get("/admin/login/").get_data(as_text=True), "login-form")
    return client.post("/admin/login/", data={**fields, "username": username, "password": password})


def signed_in_admin(app: Flask, client: FlaskClient) -> str:
    """Make an admin and sign them in to the back office; return the username."""
    username = make_admin(app, client)
    response = sign_in(client, username)
    assert response.status_code == 303, response.get_data(as_text=True)
    return username


def submit(client: FlaskClient, url: str, form_id: str | None = None, **values: str) -> Any:
    """GET the page at url, fill its form (by id, or the first) with values, and POST it."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    fields = form_fields(page.get_data(as_text=True), form_id)
    return client.post(url, data={**fields, **values})


def ledger_entries(app: Flask, account_id: int) -> list[LedgerEntry]:
    """Return an account's ledger entries, oldest first."""
    with app.app_context():
        query = select(LedgerEntry).where(LedgerEntry.account_id == account_id)
        entries = list(db.session.scalars(query.order_by(LedgerEntry.id)))
        db.session.expunge_all()
        return entries


def ledger_count(app: Flask) -> int:
    """Return the number of ledger entries of every account."""
    with app.app_context():
        count: int = db.session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
        return count


def form_fields(html: str, form_id: str | None = None) -> dict[str, str]:
    """Return the named fields of a form in the page (by id, or the first form) and values."""
    parser = _Forms()
    parser.feed(html)
    forms = [f for f in parser.forms if form_id is None or f["id"] == form_id]
    assert forms, f"no form {form_id or ''} in the page"
    fields: dict[str, str] = forms[0]["fields"]
    return fields


class _Forms(HTMLParser):
    """Collects each form's inputs, selects (selected or first option) and textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"id": found.get("id"), "fields": {}})
        elif not self.forms or ("name" not in found and tag != "option"):
            return
        elif tag == "input" and found.get("type") not in {"submit", "button"}:
            self.forms[-1]["fields"][found["name"]] = found.get("value", "")
        elif tag == "select":
            self._select = found["name"]
        elif tag == "option" and self._select is not None:
            fields = self.forms[-1]["fields"]
            if self._select not in fields or "selected" in found:
                fields[self._select] = found.get("value", "")
        elif tag == "textarea":
            self.forms[-1]["fields"][found["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
