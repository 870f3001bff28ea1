"""The database proxy bound at start-up from a URL, and per-request connection handling."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import peewee
from flask import Flask
from playhouse.db_url import connect

from db import checkpoints
from db.fields import SQLITE_FIELD_TYPES

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    # 16 KiB pages (a new database only; set before WAL): scans that walk records newest first
    # read the file backwards, where the kernel does not read ahead, so each read should be big.
    "page_size": 16384,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 5000,
    "cache_size": -32000,
    "wal_autocheckpoint": checkpoints.REQUEST_CHECKPOINT_PAGES,  # the background thread does it
}


def open_database(url: str, synchronous_commit: str = "on") -> peewee.Database:
    """Create a Peewee database for `url` (sqlite:///path, or postgresql://, which is always pooled:
    opening a PostgreSQL connection costs more than a request, so each process keeps a few open).
    `synchronous_commit` is PostgreSQL's setting of that name for these connections."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if not path or path == ":memory:":
            return connect(url, pragmas=SQLITE_PRAGMAS, field_types=SQLITE_FIELD_TYPES)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Pooled: a request hands its connection back when it ends, and the next request, on any
        # thread, takes it again. A per-thread connection instead outlives a finished request
        # thread until the garbage collector finds it (hundreds of open handles under flask run).
        return connect(
            url.replace("sqlite://", "sqlite+pool://", 1),
            pragmas=SQLITE_PRAGMAS,
            field_types=SQLITE_FIELD_TYPES,
            max_connections=None,
            stale_timeout=None,
            check_same_thread=False,
        )
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+pool://" + url.split("://", 1)[1]
    options = f"-c synchronous_commit={synchronous_commit}"
    if "+pool" in url:
        return connect(url, max_connections=32, stale_timeout=300, options=options)
    return connect(url, options=options)


def bind_database(url: str, synchronous_commit: str = "on") -> peewee.Database:
    """Point the shared proxy at the database for `url` and return it."""
    db = open_database(url, synchronous_commit)
    database.initialize(db)
    return db


def init_app(app: Flask) -> None:
    """Bind the store to the app: lazy connect on first query; after each request the connection
    goes back to its pool (SQLite and PostgreSQL alike: reopening costs more than the request),
    and each serving process checkpoints the SQLite log in the background."""
    db = bind_database(app.config["DATABASE_URL"], app.config["PG_SYNCHRONOUS_COMMIT"])
    if isinstance(db, peewee.SqliteDatabase) and db.database != ":memory:":

        @app.before_request
        def start_checkpoints() -> None:
            checkpoints.start(db.database)

    in_memory = isinstance(db, peewee.SqliteDatabase) and db.database == ":memory:"

    @app.teardown_appcontext
    def close_connection(_exc: BaseException | None) -> None:
        # An in-memory database lives only as long as its one connection.
        if not in_memory and not database.is_closed():
            database.close()


def write_transaction():
    """A transaction that holds the write lock from its start on SQLite (BEGIN IMMEDIATE), so that
    a check and the write that depends on it cannot interleave with another writer's; on
    PostgreSQL an ordinary one (lock the rows read with FOR UPDATE)."""
    db = database.obj
    if isinstance(db, peewee.SqliteDatabase):
        return db.atomic(lock_type="IMMEDIATE")
    return db.atomic()


def lock_for_transaction(namespace: int, keys: Iterable[int]) -> None:
    """Hold a lock on each key until the transaction ends (PostgreSQL advisory locks, taken in key
    order so two writers cannot deadlock); SQLite's write transaction already holds the whole file."""
    if isinstance(database.obj, peewee.SqliteDatabase):
        return
    for key in sorted(set(keys)):
        database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (namespace, int(key)))


def is_database_up() -> bool:
    """True when a trivial query succeeds."""
    try:
        database.execute_sql("SELECT 1")
        return True
    except peewee.PeeweeException:
        return False
