"""GET /records/export.csv when the database fails: before the stream (503) and mid-stream (marker)."""

from __future__ import annotations

import os

import peewee
import psycopg2
import pytest
import requests

from db.connection import database
from db.queries import is_postgres
from db.tables import Record, utcnow
from services import records

ROWS = 40_000
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _seed(app, owner_id: int, rows: int = ROWS) -> None:
    now = utcnow()
    row = {
        "user": owner_id,
        "task": "dropout",
        "inputs": {},
        "model_version": 1,
        "value": 0.5,
        "level": "Medium",
    }
    with app.app_context(), database.atomic():
        for start in range(0, rows, 1000):
            Record.add_many(
                [{**row, "created_at": now, "outputs": {}} for _ in range(min(1000, rows - start))]
            )


def _read_export(live_server: str, token: str, cut) -> str:
    """The export's text as a client reads it, with `cut()` called after the first chunk."""
    with requests.get(
        f"{live_server}/api/v1/records/export.csv",
        headers={"Authorization": f"Bearer {token}"},
        stream=True,
        timeout=120,
    ) as response:
        assert response.status_code == 200
        chunks = response.iter_content(1 << 16, decode_unicode=True)
        text = next(chunks)
        cut()
        for chunk in chunks:
            text += chunk
    return text


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="terminating backends is a PostgreSQL fault")
def test_a_database_cut_mid_export_ends_the_file_with_the_error_line(app, live_server, make_user, login):
    admin = make_user("admin")
    _seed(app, admin.id)
    token = login(admin)["access_token"]

    def terminate_every_other_backend() -> None:
        with psycopg2.connect(TEST_DATABASE_URL) as killer, killer.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

    text = _read_export(live_server, token, terminate_every_other_backend)
    # The pool's idle connections were terminated too: drop them so later tests get live ones.
    if not database.is_closed():
        database.close()
    database.obj.close_idle()
    assert text.endswith(records.EXPORT_FAILED)
    assert text.count("\r\n") - 2 < ROWS


def test_a_failure_mid_export_on_sqlite_ends_the_file_with_the_error_line(
    app, live_server, make_user, login, monkeypatch
):
    if is_postgres():
        pytest.skip("PostgreSQL has the real fault above")
    # SQLite's file stays readable through an open connection, so the fault is simulated: the
    # third page of the export raises the error a broken database connection raises.
    admin = make_user("admin")
    _seed(app, admin.id, 4 * records.EXPORT_PAGE)
    token = login(admin)["access_token"]
    real = records._page_text
    calls = {"n": 0}

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise peewee.OperationalError("disk I/O error")
        return real(*args)

    monkeypatch.setattr(records, "_page_text", failing)
    text = _read_export(live_server, token, lambda: None)
    assert text.endswith(records.EXPORT_FAILED)


def test_a_database_down_before_the_export_starts_is_503(app, client, make_user, bearer, monkeypatch):
    headers = bearer(make_user("admin"))

    # A database that refuses connections cannot be caused for this process's shared store
    # without breaking the other tests, so the first page's query fails as a refused one does.
    def down(*args):
        raise peewee.OperationalError("connection refused")

    monkeypatch.setattr(records, "_page_bounds", down)
    response = client.get("/api/v1/records/export.csv", headers=headers)
    assert response.status_code == 503 and response.json["error"]["code"] == "database_unavailable"
