"""Swagger UI is served from the app's own vendored assets: the docs page loads no CDN."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from webapp.docs import ASSETS


def test_the_docs_page_loads_only_local_assets(client: FlaskClient) -> None:
    page = client.get("/api/docs").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(sources) == [
        "/api/docs/assets/swagger-ui-bundle.js",
        "/api/docs/assets/swagger-ui-standalone-preset.js",
        "/api/docs/assets/swagger-ui.css",
    ]
    assert "://" not in page.replace('url: "/api/openapi.json"', "")


def test_the_assets_are_served_with_their_licence(client: FlaskClient) -> None:
    for name, kind in [
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-ui-standalone-preset.js", "javascript"),
        ("swagger-ui.css", "text/css"),
        ("LICENSE", "application/octet-stream"),
    ]:
        response = client.get(f"/api/docs/assets/{name}")
        assert response.status_code == 200, name
        assert kind in response.content_type, (name, response.content_type)
        assert response.data == (ASSETS / name).read_bytes()
        response.close()
    version = (ASSETS / "VERSION").read_text().split()
    assert version[:2] == ["swagger-ui-dist", "5.35.0"] and version[2].startswith("sha512-")
    assert "Apache License" in (ASSETS / "LICENSE").read_text()


def test_nothing_outside_the_assets_is_served(client: FlaskClient) -> None:
    for path in ("../../../config.py", "..%2F..%2Fdocs.py", "%2e%2e/__init__.py", "missing.js"):
        assert client.get(f"/api/docs/assets/{path}").status_code == 404, path
    assert client.get("/static/swagger-ui/swagger-ui.css").status_code == 404
