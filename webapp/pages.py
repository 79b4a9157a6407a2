"""The trader page at `/`: one static HTML document whose scripts and styles live in /static/.

Policy:
- The page is plain HTML, CSS and ES modules (no build step) under webapp/static/trader/, and
  the one library it uses (the chart) is vendored under webapp/static/vendor/: this app serves
  everything the page loads, so nothing is fetched from anywhere else at run time.
- The document carries a strict Content-Security-Policy: scripts, styles, images and fetches from
  this origin only, no inline script or style, no eval, no plugins, no framing. `connect-src`
  names this origin's WebSocket (ws:// or wss://) besides 'self', for browsers that do not count
  ws: as 'self'. A page that cannot run foreign or injected script cannot leak the tokens it
  keeps in sessionStorage.
- The page is revalidated on every load (`no-cache`), so a deploy's new modules are picked up.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, request

bp = Blueprint("pages", __name__)

# A Host header is the client's to choose: only a plain host[:port] is echoed into the policy.
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def content_security_policy(scheme: str, host: str) -> str:
    """Return the page's policy; `connect-src` adds the WebSocket origin of scheme://host."""
    connect = ["'self'"]
    if _HOST.match(host):
        connect.append(f"{'wss' if scheme == 'https' else 'ws'}://{host}")
    directives = {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self'",
        "connect-src": " ".join(connect),
        "base-uri": "'none'",
        "form-action": "'none'",  # forms are handled by script; none is ever submitted
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


@bp.get("/")
def trader() -> Response:
    """Serve the trader page with its security headers."""
    response = current_app.send_static_file("trader/index.html")
    response.headers["Content-Security-Policy"] = content_security_policy(
        request.scheme, request.host
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    return response
