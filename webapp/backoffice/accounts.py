"""Accounts: the list, and booking a deposit, withdrawal or adjustment on one.

A balance change is booked by services.accounts.adjust_balance, the service behind
`POST /api/admin/accounts/{id}/adjustments`: the account row is locked, a withdrawal never takes
free margin below zero, one ledger entry is written, the account's txn_seq advances and
`account.updated` is published. The form is checked by the API's schema (webapp.backoffice.forms)
and booked at most once (webapp.backoffice.once). A refusal of the domain (insufficient funds, a
disabled account...) is shown on the form and books nothing. After a booking the browser is sent
to the account's ledger (POST, redirect, GET: reloading that page posts nothing).
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import abort, flash, redirect
from flask_admin import expose
from markupsafe import Markup

from domain.errors import DomainError
from domain.records import AccountSummary
from models import Account, User, db
from services.accounts import account_summary, adjust_balance
from webapp.backoffice import once
from webapp.backoffice.base import ReadOnlyView, filtered_url
from webapp.backoffice.forms import AdjustmentForm
from webapp.backoffice.session import current_admin
from webapp.context import collaborators

log = logging.getLogger(__name__)
LINKS = Markup(
    '<a href="{ledger}">ledger</a> · <a href="{positions}">positions</a> · '
    '<a href="{orders}">orders</a> · <a href="{balance}">adjust balance</a>'
)
ALREADY_USED = (
    "This form was already submitted, or has expired: nothing was booked now. "
    "Check the ledger before booking again."
)


def _links_cell(view: Any, _context: Any, account: Account, _name: str) -> Markup:
    return LINKS.format(
        ledger=filtered_url("bo_ledger", account=account.id),
        positions=filtered_url("bo_positions", account=account.id),
        orders=filtered_url("bo_orders", account=account.id),
        balance=view.get_url(".balance_view", account_id=account.id),
    )


def _user_cell(_view: Any, _context: Any, account: Account, _name: str) -> str:
    return account.user.username


class AccountView(ReadOnlyView):
    """Accounts with their booked figures; each links to its rows and to the balance form."""

    column_list = (
        "id", "user", "currency", "balance", "leverage", "status", "txn_seq", "created_at", "links",
    )  # fmt: skip
    column_searchable_list = ("user.username",)
    column_filters = ("id", "user_id", "currency", "status")
    column_formatters = {"user": _user_cell, "links": _links_cell}
    column_labels = {
        **ReadOnlyView.column_labels,
        "id": "Account",
        "links": "",
        "user.username": "username",
    }

    def __init__(self, session: Any) -> None:
        super().__init__(Account, session, name="Accounts", endpoint="bo_accounts", url="accounts")

    @expose("/<int:account_id>/balance/", methods=("GET", "POST"))
    def balance_view(self, account_id: int) -> Any:
        """Show the account and the balance form; book a submitted form once."""
        account = db.session.get(Account, account_id)
        admin = current_admin()
        if account is None or admin is None:
            abort(404)
        form = AdjustmentForm()
        status = 200
        if form.is_submitted():
            status = self._book(form, admin.id, account)
            if status == 303:
                return redirect(filtered_url("bo_ledger", account=account_id), 303)
        form.form_token.data = once.issue(admin.id, account_id)
        page = self.render(
            "backoffice/balance.html", account=account, owner=db.session.get(User, account.user_id),
            summary=_summary(account_id), form=form,
        )  # fmt: skip
        return page, status

    def _book(self, form: AdjustmentForm, admin_id: int, account: Account) -> int:
        """Book the form; return 303 when booked, else the status of the page showing why."""
        if not form.validate():
            return 422
        if not once.spend(form.form_token.data or "", admin_id, account.id):
            form.form_errors.append(ALREADY_USED)
            return 409
        kind, amount, reason = form.booking()
        try:
            done = adjust_balance(
                db.session, collaborators(), account.id, kind, amount, reason, admin_id
            )
        except DomainError as error:
            db.session.rollback()  # releases the account row lock
            form.form_errors.append(str(error))
            return 409
        entry = done.entry
        log.info(
            "event=balance_adjusted account_id=%s ledger_id=%s kind=%s amount=%s admin_id=%s",
            account.id, entry.id, kind.value, entry.amount, admin_id,
        )  # fmt: skip
        flash(
            f"Booked {kind.value}: {entry.amount} {done.account.currency} on account "
            f"{account.id}, ledger entry {entry.id}, balance now {entry.balance_after}.",
            "success",
        )
        return 303


def _summary(account_id: int) -> AccountSummary | None:
    """Return the account valued at current quotes, or None when Redis cannot be read."""
    deps = collaborators()
    try:
        return account_summary(deps.sql, deps.quotes, account_id)
    except redis.RedisError:
        return None
