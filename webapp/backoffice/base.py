"""What every back office list shares: signed-in admins only, and read only.

A read-only view has no create, edit, delete, inline edit, bulk action or export: Flask-Admin's
routes for them stay mounted but do nothing (they redirect, or answer 404). Lists are newest
first, and filters have readable URL names (e.g. `?flt0_account_equals=7`).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from flask import redirect, request, url_for
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_wtf import FlaskForm

from webapp.backoffice.session import current_admin

LOGIN_ENDPOINT = "backoffice.login"


def to_login() -> Any:
    """Redirect to the login form, coming back here afterwards."""
    return redirect(url_for(LOGIN_ENDPOINT, next=request.full_path.rstrip("?")))


def filtered_url(endpoint: str, **filters: int) -> str:
    """Return the URL of a list filtered by `column=value` equality filters."""
    args: dict[str, Any] = {
        f"flt{i}_{name}_equals": value for i, (name, value) in enumerate(filters.items())
    }
    return url_for(f"{endpoint}.index_view", **args)


def _enum_value(_view: Any, value: Enum, _name: str) -> str:
    return str(value.value)  # "deposit", as the API writes it


def _timestamp(_view: Any, value: datetime, _name: str) -> str:
    return value.isoformat(sep=" ", timespec="seconds")


FORMATS = {Enum: _enum_value, datetime: _timestamp}


class ReadOnlyView(ModelView):
    """A list and detail pages of a model, for signed-in admins, that change nothing."""

    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    can_view_details = True
    column_editable_list: list[str] = []
    action_disallowed_list = ["delete"]
    form_base_class = FlaskForm  # any form Flask-Admin renders carries the session's CSRF token
    column_display_pk = True
    column_default_sort = ("id", True)
    named_filter_urls = True
    page_size = 50
    column_labels = {"account_id": "Account", "user_id": "User", "order_id": "Order"}
    column_type_formatters = {**typefmt.BASE_FORMATTERS, **FORMATS}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, **FORMATS}

    def is_accessible(self) -> bool:
        """Allow signed-in, active admins only."""
        return current_admin() is not None

    def inaccessible_callback(self, name: Any, **kwargs: Any) -> Any:
        """Send anyone else to the login form."""
        return to_login()
