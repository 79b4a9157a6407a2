"""Every third-party module the images' code imports is in that image's lock.

The development virtualenv has everything, so a runtime import missing from requirements.lock
(or the simulator's from requirements-sim.lock) would pass every other test and fail only in the
container. This reads the imports of the code each image runs and maps them to distributions.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_CODE = [
    "domain",
    "services",
    "models",
    "schemas",
    "webapp",
    "tasks",
    "migrations",
    "marketdata/alltick",
    "marketdata/__init__.py",
    "config.py",
    "wsgi.py",
    "celery_worker.py",
    "flower_app.py",
    "flowerconfig.py",
    "gunicorn.conf.py",
    "logsafe.py",
]
# The control client is for tests and benchmarks (requests); the simulator's image runs the rest.
SIMULATOR_CODE = ["marketdata/simulator"]
SIMULATOR_EXCLUDED = {"control_client.py"}
FIRST_PARTY = {"domain", "services", "models", "schemas", "webapp", "tasks", "marketdata"} | {
    "config",
    "logsafe",
    "migrations",
    "alembic_env",
}


def _files(paths: list[str], excluded: frozenset[str] = frozenset()) -> list[Path]:
    found: list[Path] = []
    for path in (ROOT / p for p in paths):
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in found if f.name not in excluded]


def _top_level_imports(files: list[Path]) -> set[str]:
    modules: set[str] = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - FIRST_PARTY - {"__future__"}


def _locked(name: str) -> set[str]:
    text = (ROOT / name).read_text()
    return {_normal(d) for d in re.findall(r"^([A-Za-z0-9_.\-]+)==", text, re.MULTILINE)}


def _normal(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


def _missing(files: list[Path], lock: str) -> dict[str, list[str]]:
    dists = packages_distributions()
    locked = _locked(lock)
    missing = {}
    for module in sorted(_top_level_imports(files)):
        providers = [_normal(d) for d in dists.get(module, [])]
        if not any(p in locked for p in providers):
            missing[module] = providers
    return missing


def test_runtime_imports_are_in_the_runtime_lock() -> None:
    assert _missing(_files(RUNTIME_CODE), "requirements.lock") == {}


def test_simulator_imports_are_in_the_simulator_lock() -> None:
    files = _files(SIMULATOR_CODE, frozenset(SIMULATOR_EXCLUDED))
    assert _missing(files, "requirements-sim.lock") == {}
