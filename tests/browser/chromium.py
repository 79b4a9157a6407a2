"""Where the browser tests find Chromium, and what a machine without it needs.

The tests drive the system's Chromium through Playwright; `playwright install` is never used
(it downloads its own browser build, which our machines cannot fetch). CHROMIUM overrides the
path, e.g. a Chrome or Chromium installed elsewhere on a developer's machine.
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")

INSTALL_HINT = (
    f"Chromium is missing at {CHROMIUM}: the browser tests (tests/browser) need it. "
    "On Debian or Ubuntu: `sudo apt-get install chromium` (CI's .ci/run installs it); "
    "elsewhere install Chromium or Chrome and set CHROMIUM=/path/to/the/binary."
)


def missing() -> bool:
    """Return whether Chromium is missing."""
    return not CHROMIUM.is_file()
