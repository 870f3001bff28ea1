"""Shared fixtures: one app per test process on a real database, a live server, users."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.helpers import FAST_CANDIDATES, PASSWORD, TEST_DATABASE_URL


def pytest_configure(config: pytest.Config) -> None:
    """Point the app at a throwaway instance folder and the test database before it is built."""
    instance = Path(os.environ.get("TEST_INSTANCE_DIR", config.rootpath / "instance" / "test"))
    os.environ["INSTANCE_DIR"] = str(instance)
    os.environ["APP_ENV"] = "testing"
    artifacts = instance / "artifacts"
    if artifacts.exists():
        shutil.rmtree(artifacts)
    os.environ["ARTIFACTS_DIR"] = str(artifacts)
    if TEST_DATABASE_URL:
        os.environ["DATABASE_URL"] = TEST_DATABASE_URL
    else:
        instance.mkdir(parents=True, exist_ok=True)
        db_file = instance / "test.db"
        for suffix in ("", "-wal", "-shm"):
            path = db_file.with_name(db_file.name + suffix)
            if path.exists():
                path.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{db_file}"


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {os.environ.get('DATABASE_URL')}"


def pytest_setup_options():
    """Chromium flags for a machine with no network beyond loopback (used by dash[testing])."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in (
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    return options


@pytest.fixture(scope="session")
def app():
    """The application, built once per test process (Dash allows one app per process)."""
    from db.connection import database
    from db.migrations import upgrade
    from server.factory import create_app

    application = create_app("testing")
    with application.app_context():
        if TEST_DATABASE_URL:
            _drop_all_tables(database)
        upgrade()
    return application


def _drop_all_tables(database) -> None:
    for table in database.get_tables():
        database.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')


def _truncate(database) -> None:
    from db.tables import SchemaVersion

    tables = [t for t in database.get_tables() if t != SchemaVersion._meta.table_name]
    if not tables:
        return
    if database.__class__.__name__.lower().startswith(("postgres", "pooledpostgres")):
        quoted = ", ".join(f'"{t}"' for t in tables)
        database.execute_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    else:
        with database.atomic():
            database.execute_sql("PRAGMA foreign_keys = OFF")
            for table in tables:
                database.execute_sql(f'DELETE FROM "{table}"')
            database.execute_sql("PRAGMA foreign_keys = ON")


@pytest.fixture(autouse=True)
def clean_database(app) -> Iterator[None]:
    """Every test starts with empty tables (schema kept)."""
    from db.connection import database
    from services import jobs
    from services.tutoring import notifications

    yield
    # A job (a training, an import) or a scoring run's digests started by this test end before their
    # tables are emptied: one still running would write into the next test's.
    jobs.wait_for_jobs()
    notifications.wait_for_deliveries()
    with app.app_context():
        _truncate(database.obj)
        if not database.is_closed():
            database.close()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Account:
    id: int
    username: str
    email: str
    password: str
    role: str

    def login_json(self) -> dict:
        return {"username": self.username, "password": self.password}


@pytest.fixture
def make_user(app):
    """Create a user through the service layer; returns an Account."""
    from services import accounts

    counter = iter(range(1, 10_000))

    def make(role: str = "student", username: str | None = None, password: str = PASSWORD) -> Account:
        name = username or f"{role}{next(counter)}"
        with app.app_context():
            user = accounts.register(name, f"{name}@example.org", password, name.title(), role=role)
        return Account(user.id, user.username, user.email, password, role)

    return make


@pytest.fixture
def login(client):
    """Sign in over the API; returns the JSON answer (tokens and user)."""

    def do_login(account: Account) -> dict:
        response = client.post("/api/v1/auth/login", json=account.login_json())
        assert response.status_code == 200, response.json
        return response.json

    return do_login


@pytest.fixture
def bearer(login):
    """Authorization headers for an account."""

    def headers(account: Account) -> dict[str, str]:
        return {"Authorization": f"Bearer {login(account)['access_token']}"}

    return headers


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The real app on a loopback port, served by werkzeug's threaded server."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


_trained_rows: dict[str, dict] = {}


@pytest.fixture
def active_models(app):
    """Both tasks served by small real models (trained once per session on generated data)."""
    from db.tables import ModelVersion
    from modelling.data import LoadedData
    from modelling.synthetic import generate_dropout, generate_exam
    from services import model_versions

    with app.app_context():
        for task, generate, rows in (
            ("exam-score", generate_exam, 1500),
            ("dropout", generate_dropout, 3000),
        ):
            if task not in _trained_rows:
                data = LoadedData(generate(rows, 21), [], f"test-{task}")
                row = model_versions.train_version(
                    task, data, folds=3, activate=True, candidates=FAST_CANDIDATES[task][:1]
                )
                _trained_rows[task] = ModelVersion.select().where(ModelVersion.id == row.id).dicts().get()
            elif ModelVersion.active(task) is None:
                row = {k: v for k, v in _trained_rows[task].items() if k != "id"}
                ModelVersion.insert(**row).execute()
        yield {task: row["version"] for task, row in _trained_rows.items()}


@pytest.fixture
def mail_to(app, monkeypatch):
    """Point the app's MAIL_* settings at a port (short retry waits); the digest settings of that app."""
    from services.tutoring.notifications import DigestSettings

    def point(port: int) -> DigestSettings:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        monkeypatch.setitem(app.config, "MAIL_RETRY_SECONDS", 0.05)
        monkeypatch.setitem(app.config, "PUBLIC_URL", "http://ssa.example.org")
        return DigestSettings.from_config(app.config)

    return point
