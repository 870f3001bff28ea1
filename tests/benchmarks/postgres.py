"""Benchmarks' databases: a PostgreSQL one created when missing, any emptied, and an app on it."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def create_database_if_missing(url: str) -> None:
    """Create the database named in `url` on its server (through the `postgres` database)."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url.replace("postgresql+pool://", "postgresql://"))
    name = parts.path.lstrip("/")
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def empty_database(url: str):
    """The database at `url` bound as the app's, every table dropped (PostgreSQL: created if missing)."""
    from db.connection import bind_database

    if url.startswith("postgres"):
        create_database_if_missing(url)
    database = bind_database(url)
    for table in database.get_tables():
        database.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    return database


def fresh_app(name: str, database_url: str | None = None):
    """The app of benchmark `name` on an empty database: the named one emptied (PostgreSQL), or a new
    SQLite file in a temporary folder of its own; migrated to the latest schema; the process settled as
    a serving one is."""
    import os
    import tempfile
    from pathlib import Path

    workdir = Path(tempfile.gettempdir()) / f"ssa-bench-{name}"
    workdir.mkdir(exist_ok=True)
    db_file = workdir / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    os.environ.update(
        {
            "APP_ENV": "testing",
            "INSTANCE_DIR": str(workdir),
            "ARTIFACTS_DIR": str(workdir / "artifacts"),
            "DATABASE_URL": database_url or f"sqlite:///{db_file}",
        }
    )
    if database_url:
        empty_database(database_url).close()

    from db.migrations import upgrade
    from server.factory import create_app, settle_process

    app = create_app("testing")
    with app.app_context():
        upgrade()
    settle_process()  # as wsgi.py settles a serving process: what is measured is what is served
    return app
