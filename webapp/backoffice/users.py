"""Users: the list, and deactivating or reactivating one.

A change of `is_active` goes through services.users.set_active (it commits), then the access
check hears of it (services.access): the user's bearer tokens answer 401 from their next request,
and come back to life on reactivation. An admin cannot deactivate themselves.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, flash, redirect
from flask_admin import expose
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from models import User, db
from services.users import set_active
from webapp.auth import access_check
from webapp.backoffice.base import ReadOnlyView, filtered_url
from webapp.backoffice.forms import ActiveForm
from webapp.backoffice.session import current_admin

log = logging.getLogger(__name__)
ACTIVE_BUTTON = Markup(
    '<form method="post" action="{action}" id="active-{user_id}" class="d-inline">'
    '<input type="hidden" name="csrf_token" value="{csrf}">'
    '<input type="hidden" name="active" value="{value}">'
    '<button type="submit" class="btn btn-sm btn-outline-{style}">{label}</button></form>'
)


def _access_cell(view: Any, _context: Any, user: User, _name: str) -> Markup:
    admin = current_admin()
    if admin is not None and admin.id == user.id:
        return Markup("<em>you</em>")
    value, label, style = ("0", "Deactivate", "danger") if user.is_active else (
        "1", "Reactivate", "success",
    )  # fmt: skip
    action = view.get_url(".active_view", user_id=user.id)
    return ACTIVE_BUTTON.format(
        action=action, user_id=user.id, csrf=generate_csrf(), value=value, style=style, label=label
    )


def _accounts_cell(_view: Any, _context: Any, user: User, _name: str) -> Markup:
    url = filtered_url("bo_accounts", user=user.id)
    return Markup('<a href="{}">accounts</a>').format(url)


class UserView(ReadOnlyView):
    """Users (never their password hashes); each row can be deactivated or reactivated."""

    column_list = ("id", "username", "role", "is_active", "created_at", "accounts", "access")
    column_details_list = ("id", "username", "role", "is_active", "created_at")
    column_searchable_list = ("username",)
    column_filters = ("role", "is_active")
    column_formatters = {"accounts": _accounts_cell, "access": _access_cell}
    column_labels = {**ReadOnlyView.column_labels, "is_active": "Active", "accounts": ""}

    def __init__(self, session: Any) -> None:
        super().__init__(User, session, name="Users", endpoint="bo_users", url="users")

    @expose("/<int:user_id>/active/", methods=("POST",))
    def active_view(self, user_id: int) -> Any:
        """Deactivate or reactivate a user, then tell the access check."""
        form = ActiveForm()
        if not form.validate():
            abort(400)
        active = form.active.data == "1"
        user = db.session.get(User, user_id)
        if user is None:
            abort(404)
        username = user.username
        admin = current_admin()
        if admin is not None and admin.id == user_id and not active:
            flash("You cannot deactivate yourself.", "error")
        elif set_active(db.session, user_id, active):
            access_check().changed(user_id, active)
            actor = admin.id if admin is not None else None
            log.info("event=user_active user_id=%s active=%s admin_id=%s", user_id, active, actor)
            done = "is active again" if active else "is deactivated: their tokens are refused"
            flash(f"User {username} {done}.", "success")
        return redirect(self.get_url(".index_view"), 303)
