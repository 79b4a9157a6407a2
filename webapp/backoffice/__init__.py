"""The back office: server-rendered pages for operators under /admin (Flask-Admin).

Policy:
- Only active users whose role is admin get in, through the back office's own login form (a
  username and password checked by services.users.authenticate). Being signed in is a Flask
  session cookie (HttpOnly, SameSite=Lax, path /admin, Secure in production: config.py) naming a
  server-side session in Redis, so signing out ends it everywhere. Every request re-reads the
  user from PostgreSQL: a deactivated or demoted admin is out at their next click. The JSON API's
  bearer tokens mean nothing here, and the session cookie means nothing to the API.
- Every unsafe request (POST...) under /admin must carry the CSRF token of the session (Flask-WTF),
  checked before any view runs; without it the answer is 400 and nothing changes.
- Users, accounts, positions, orders, fills and ledger entries are read only: no row is created,
  edited or deleted from here. The two things that change state go through the services the API
  uses: (de)activating a user (services.users.set_active, then the per-request access check) and
  booking a deposit, withdrawal or adjustment (services.accounts.adjust_balance). Money is never
  written by editing a row.
- A balance change is booked at most once per rendered form (webapp.backoffice.once).
- Back office pages are never framed by another site, cached, or named in a Referer elsewhere.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_wtf.csrf import CSRFError, CSRFProtect

URL = "/admin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

csrf = CSRFProtect()


def init_backoffice(app: Flask) -> None:
    """Mount the back office on the app: its views, templates and CSRF guard."""
    from models import db
    from webapp.backoffice import views
    from webapp.backoffice.session import current_admin

    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # only the back office's requests: see below
    csrf.init_app(app)
    app.before_request(_check_csrf)
    app.after_request(_page_headers)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.add_template_global(current_admin, "backoffice_admin")
    app.register_blueprint(Blueprint("backoffice_templates", __name__, template_folder="templates"))
    theme = Bootstrap4Theme(base_template="backoffice/layout.html")
    admin = Admin(
        app, name="FX back office", url=URL, endpoint="backoffice",
        index_view=views.HomeView(url=URL, endpoint="backoffice"), theme=theme,
    )  # fmt: skip
    admin.add_views(*views.model_views(db))


def _check_csrf() -> None:
    """Refuse an unsafe request under /admin without the session's CSRF token (400)."""
    if request.method not in SAFE_METHODS and _is_backoffice(request.path):
        csrf.protect()


def _page_headers(response: Response) -> Response:
    """Forbid framing and caching of back office pages (balances, forms with tokens)."""
    if _is_backoffice(request.path):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _is_backoffice(path: str) -> bool:
    return path == URL or path.startswith(URL + "/")


def _csrf_refused(error: CSRFError) -> Response:
    """Answer a refused form with a short page: nothing was done."""
    body = (
        "<!doctype html><title>Form refused</title><h1>Form refused</h1>"
        "<p>The form was stale or was not sent from the back office, so nothing was done. "
        f'Go back, reload the page and try again. <a href="{URL}/">Back office</a></p>'
    )
    return Response(body, status=400, mimetype="text/html")
