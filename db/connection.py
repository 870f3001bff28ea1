"""The database proxy bound at start-up from a URL, and per-request connection handling."""

from __future__ import annotations

from pathlib import Path

import peewee
from flask import Flask
from playhouse.db_url import connect

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 5000,
    "cache_size": -32000,
}


def open_database(url: str) -> peewee.Database:
    """Create a Peewee database for `url` (sqlite:///path, or postgresql://, which is always pooled:
    opening a PostgreSQL connection costs more than a request, so each process keeps a few open)."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return connect(url, pragmas=SQLITE_PRAGMAS)
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+pool://" + url.split("://", 1)[1]
    if "+pool" in url:
        return connect(url, max_connections=32, stale_timeout=300)
    return connect(url)


def bind_database(url: str) -> peewee.Database:
    """Point the shared proxy at the database for `url` and return it."""
    db = open_database(url)
    database.initialize(db)
    return db


def init_app(app: Flask) -> None:
    """Bind the store to the app: lazy connect on first query; after each request a pooled
    PostgreSQL connection goes back to its pool, while SQLite keeps its per-thread connection
    (reopening either costs more than the request)."""
    db = bind_database(app.config["DATABASE_URL"])
    keep_open = isinstance(db, peewee.SqliteDatabase)

    @app.teardown_appcontext
    def close_connection(_exc: BaseException | None) -> None:
        if not keep_open and not database.is_closed():
            database.close()


def is_database_up() -> bool:
    """True when a trivial query succeeds."""
    try:
        database.execute_sql("SELECT 1")
        return True
    except peewee.PeeweeException:
        return False
