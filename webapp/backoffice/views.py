"""The back office's home, login and logout, and the read-only lists of trading rows."""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose

from models import Fill, LedgerEntry, Order, Position, Role, db
from services.users import authenticate
from webapp.backoffice.accounts import AccountView
from webapp.backoffice.base import ReadOnlyView, to_login
from webapp.backoffice.forms import LoginForm
from webapp.backoffice.session import current_admin, may_try_login, sign_in, sign_out
from webapp.backoffice.users import UserView

HOME = "backoffice.index"
log = logging.getLogger(__name__)


class HomeView(AdminIndexView):
    """/admin/: the home page (signed in), the login form and logout."""

    def __init__(self, url: str, endpoint: str) -> None:
        super().__init__(name="Home", url=url, endpoint=endpoint)

    def is_visible(self) -> bool:
        """Show Home in the menu only to a signed-in admin."""
        return current_admin() is not None

    @expose("/")
    def index(self) -> Any:
        """Show the home page, or send the visitor to the login form."""
        if current_admin() is None:
            return to_login()
        return self.render("backoffice/index.html")

    @expose("/login/", methods=("GET", "POST"))
    def login(self) -> Any:
        """Sign an active admin in (the same answer for any wrong username or password)."""
        form = LoginForm()
        if not form.validate_on_submit():
            return self.render("backoffice/login.html", form=form), 422 if form.errors else 200
        if not may_try_login(form.username.data or ""):
            form.form_errors.append("Too many attempts: wait a minute, then try again.")
            return self.render("backoffice/login.html", form=form), 429
        user = authenticate(db.session, form.username.data or "", form.password.data or "")
        if user is None or user.role != Role.ADMIN:
            log.warning("event=backoffice_login_refused")
            form.form_errors.append("Wrong username or password, or not an administrator.")
            return self.render("backoffice/login.html", form=form), 401
        sign_in(user)
        log.info("event=backoffice_login admin_id=%s", user.id)
        return redirect(_next_page(), 303)

    @expose("/logout/", methods=("POST",))
    def logout(self) -> Any:
        """Sign out (a POST with the CSRF token, checked before this runs)."""
        sign_out()
        flash("Signed out.", "info")
        return redirect(url_for(".login"), 303)


def _next_page() -> str:
    """Return where to go after login: a back office path given as `next`, else home."""
    target = request.args.get("next", "")
    home = url_for(HOME)
    if target.startswith(home) and "//" not in target and "\\" not in target:
        return target
    return home


class PositionView(ReadOnlyView):
    """Positions, open and closed."""

    column_list = (
        "id", "account_id", "symbol", "side", "lots", "avg_price", "realized_pnl", "status",
        "opened_at", "closed_at", "close_price", "close_reason", "txn_seq",
    )  # fmt: skip
    column_details_list = (*column_list, "max_lots")
    column_filters = ("account_id", "symbol", "status", "side")

    def __init__(self, session: Any) -> None:
        super().__init__(
            Position, session, name="Positions", endpoint="bo_positions", url="positions"
        )


class OrderView(ReadOnlyView):
    """Orders as booked (the stored response is on the detail page)."""

    column_list = (
        "id", "account_id", "client_order_id", "symbol", "side", "lots", "price_bound", "reason",
        "status", "txn_seq", "created_at",
    )  # fmt: skip
    column_details_list = (*column_list, "request_hash", "result")
    column_filters = ("account_id", "symbol", "reason", "client_order_id")

    def __init__(self, session: Any) -> None:
        super().__init__(Order, session, name="Orders", endpoint="bo_orders", url="orders")


class FillView(ReadOnlyView):
    """Fills: what each order executed at."""

    column_list = (
        "id", "account_id", "order_id", "position_id", "symbol", "side", "lots", "price",
        "realized_pnl", "txn_seq", "created_at",
    )  # fmt: skip
    column_filters = ("account_id", "order_id", "position_id", "symbol")

    def __init__(self, session: Any) -> None:
        super().__init__(Fill, session, name="Fills", endpoint="bo_fills", url="fills")


class LedgerView(ReadOnlyView):
    """Ledger entries: every change of a balance, with the balance after it."""

    column_list = (
        "id", "account_id", "kind", "amount", "balance_after", "reference", "reason", "txn_seq",
        "created_at",
    )  # fmt: skip
    column_filters = ("account_id", "kind", "reference")
    column_searchable_list = ("reason", "reference")

    def __init__(self, session: Any) -> None:
        super().__init__(LedgerEntry, session, name="Ledger", endpoint="bo_ledger", url="ledger")


def model_views(session: Any) -> list[BaseView]:
    """Return one fresh instance of every list (Flask-Admin views belong to one app)."""
    return [
        UserView(session), AccountView(session), PositionView(session), OrderView(session),
        FillView(session), LedgerView(session),
    ]  # fmt: skip
