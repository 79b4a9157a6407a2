"""The API docs: the OpenAPI document and Swagger UI, served by the app itself, or not at all.

Swagger UI's assets are vendored from npm's swagger-ui-dist into webapp/swagger_ui (its
version, integrity and licence beside them; scripts/vendor-swagger-ui.sh updates them), so the
docs page loads nothing from a CDN. With API_DOCS_ENABLED off (the production default) neither
/api/openapi.json nor /api/docs exists.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, send_from_directory

ASSETS = Path(__file__).resolve().parent / "swagger_ui"
ASSETS_PATH = "/assets/"
ASSET_MAX_AGE_S = 3600


def configure_docs(app: Flask) -> None:
    """Point flask-smorest at the local assets, or switch the docs off (before api.init_app)."""
    if not app.config["API_DOCS_ENABLED"]:
        app.config["OPENAPI_URL_PREFIX"] = None  # flask-smorest then registers no doc routes
        return
    docs_url = app.config["OPENAPI_URL_PREFIX"].rstrip("/") + app.config["OPENAPI_SWAGGER_UI_PATH"]
    app.config["OPENAPI_SWAGGER_UI_URL"] = docs_url + ASSETS_PATH

    def asset(filename: str) -> Response:
        return send_from_directory(ASSETS, filename, max_age=ASSET_MAX_AGE_S)

    app.add_url_rule(f"{docs_url}{ASSETS_PATH}<path:filename>", "swagger_ui_asset", asset)
