"""Fixtures shared by every test: a real PostgreSQL database and a real Redis database.

`make test` starts (or reuses) the servers and sets DATABASE_URL and REDIS_URL. The tests never
touch those databases themselves:
- PostgreSQL: a database named `<name>_test` on the same server (or TEST_DATABASE_URL), dropped
  and re-created from the Alembic migrations once per run, truncated after every test;
- Redis: database 15 of the same server (or TEST_REDIS_URL), flushed before every test.

The testing configuration (public secrets) starts only when FX_TEST_RUN=1, which this file sets
for the run and the processes it starts (config.TestingConfig.validate).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from config import TEST_RUN_FLAG, TestingConfig

os.environ[TEST_RUN_FLAG] = "1"


def _test_database_url() -> str:
    if os.environ.get("TEST_DATABASE_URL"):
        return os.environ["TEST_DATABASE_URL"]
    base = os.environ.get("DATABASE_URL")
    if not base:
        pytest.exit("DATABASE_URL is not set: run the tests with `make test`", returncode=2)
    url = make_url(base)
    return url.set(database=f"{url.database}_test").render_as_string(hide_password=False)


def _test_redis_url() -> str:
    if os.environ.get("TEST_REDIS_URL"):
        return os.environ["TEST_REDIS_URL"]
    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.exit("REDIS_URL is not set: run the tests with `make test`", returncode=2)
    return base.rsplit("/", 1)[0] + "/15" if base.count("/") > 2 else base + "/15"


def _recreate_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(database="postgres", drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        name = sql.Identifier(parsed.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


@pytest.fixture(scope="session")
def test_urls() -> dict[str, str]:
    """The URLs of the test database and the test Redis."""
    return {"DATABASE_URL": _test_database_url(), "REDIS_URL": _test_redis_url()}


@pytest.fixture(scope="session")
def app(test_urls: dict[str, str], pytestconfig: pytest.Config) -> Iterator[Flask]:
    """The app under test, on a freshly migrated test database."""
    from flask_migrate import upgrade

    from webapp import create_app

    _recreate_database(test_urls["DATABASE_URL"])
    flask_app = create_app(TestingConfig, overrides=dict(test_urls))
    with flask_app.app_context():
        upgrade()
    pytestconfig.stash[APP_KEY] = flask_app
    yield flask_app


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Flush the test Redis before each test that uses the app; after it, verify the ledger
    (`flask ledger verify`'s check; tests that write rows by hand on purpose are marked
    `ledger_tampered`) and truncate every table."""
    if "app" not in request.fixturenames:
        yield
        return
    flask_app: Flask = request.getfixturevalue("app")
    redis_lib.Redis.from_url(flask_app.config["REDIS_URL"]).flushdb()
    yield
    from models import db
    from tests.invariants import ledger_report

    with flask_app.app_context():
        db.session.remove()
        report = None
        if request.node.get_closest_marker("ledger_tampered") is None:
            report = ledger_report()  # every test that books money leaves the books right
        tables = ", ".join(table.name for table in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
    assert report is None or report.ok, "\n".join(report.lines())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app that checks every response against the OpenAPI document."""
    from tests.contract import ContractClient

    app.test_client_class = ContractClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    """A CLI runner of the app."""
    return app.test_cli_runner()


@pytest.fixture
def redis_client(app: Flask) -> redis_lib.Redis:
    """A client of the test Redis."""
    return redis_lib.Redis.from_url(app.config["REDIS_URL"], decode_responses=True)


@pytest.fixture
def channels(app: Flask) -> Any:
    """The pub/sub channels of the app under test (REDIS_CHANNEL_PREFIX, fxtest by default)."""
    from services.realtime import Channels

    return Channels.with_prefix(app.config["REDIS_CHANNEL_PREFIX"])


@pytest.fixture
def worker(app: Flask, test_urls: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on the test database and Redis, answering pings."""
    from tests.processes import celery_worker

    with celery_worker(test_urls) as process:
        assert app.extensions["celery"].send_task("system.ping").get(timeout=60) == "pong"
        yield process


APP_KEY = pytest.StashKey[Flask]()


def _whole_suite(config: pytest.Config) -> bool:
    """Return whether this run collects the whole suite, unfiltered."""
    tests_root = (config.rootpath / "tests").resolve()
    args = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    filtered = config.option.keyword or config.option.markexpr or config.option.deselect
    return args in ([], [tests_root], [config.rootpath.resolve()]) and not filtered


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On a whole-suite run, fail when a documented operation never answered a checked 2xx."""
    from tests.contract import unanswered

    app = session.config.stash.get(APP_KEY, None)
    if app is None or exitstatus != 0 or not _whole_suite(session.config):
        return
    missing = unanswered(app)
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "operations no test saw answer 2xx: " + ", ".join(missing), red=True
            )
        session.exitstatus = 1
