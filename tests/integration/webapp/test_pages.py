"""The trader page at `/` and its static files, as served by the app (no browser)."""

from __future__ import annotations

from flask.testing import FlaskClient

from webapp.pages import content_security_policy


def test_the_page_is_served_with_a_strict_policy(client: FlaskClient) -> None:
    response = client.get("/", base_url="https://fx.example:8443")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b'<script type="module" src="/static/trader/js/main.js">' in response.data
    policy = dict(
        directive.split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split("; ")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self' wss://fx.example:8443"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-cache"


def test_a_host_that_is_not_a_plain_host_is_not_echoed() -> None:
    policy = content_security_policy("http", "evil; script-src *")
    assert "evil" not in policy
    assert "connect-src 'self';" in policy
    assert "ws://127.0.0.1:8000" in content_security_policy("http", "127.0.0.1:8000")


def test_the_modules_and_the_chart_library_are_served_as_javascript(client: FlaskClient) -> None:
    for path in (
        "/static/trader/js/main.js",
        "/static/vendor/lightweight-charts/lightweight-charts.standalone.production.mjs",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "text/javascript", path
        response.close()
