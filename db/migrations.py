"""Versioned schema: an ordered list of migrations, applied once each, recorded in schema_version.

Add a migration by appending a function to MIGRATIONS; never edit one that has shipped.
Migration 1 creates tables from today's models, so a later change to one of those tables
must freeze that table's earlier shape inside migration 1 before altering it in a new one
(tests/test_migrations.py checks that a fresh upgrade matches the models).
"""

from __future__ import annotations

from collections.abc import Callable

import peewee

from db.connection import database
from db.models import Activity, Job, ModelVersion, Record, RevokedToken, SchemaVersion, User

Migration = Callable[[peewee.Database], None]


def _accounts(db: peewee.Database) -> None:
    db.create_tables([User, Activity, RevokedToken])


def _model_registry(db: peewee.Database) -> None:
    db.create_tables([ModelVersion])


def _records(db: peewee.Database) -> None:
    db.create_tables([Record])


def _jobs(db: peewee.Database) -> None:
    db.create_tables([Job])


def _record_indexes(db: peewee.Database) -> None:
    """Every index Record declares now (newest first across tasks, per user, per student), for
    databases whose records table predates them; IF NOT EXISTS keeps it a no-op elsewhere."""
    db.create_tables([Record], safe=True)


def _record_value_double(db: peewee.Database) -> None:
    """Records' headline value in double precision (PostgreSQL's REAL kept about 7 digits); SQLite's
    REAL is already 8 bytes."""
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql("ALTER TABLE records ALTER COLUMN value TYPE DOUBLE PRECISION")


def _record_intervals(db: peewee.Database) -> None:
    """The exam interval in its own columns, filled from each record's outputs."""
    present = {column.name for column in db.get_columns("records")}
    for column in ("interval_low", "interval_high"):
        if column not in present:
            db.execute_sql(f"ALTER TABLE records ADD COLUMN {column} DOUBLE PRECISION")
    if isinstance(db, peewee.PostgresqlDatabase):
        member = "CAST(outputs::json -> 'interval' ->> '{}' AS DOUBLE PRECISION)"
    else:
        member = "json_extract(outputs, '$.interval.{}')"
    db.execute_sql(
        f"UPDATE records SET interval_low = {member.format('low')}, interval_high = {member.format('high')}"
        " WHERE task = 'exam-score' AND interval_low IS NULL"
    )


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "accounts, activity log, revoked tokens", _accounts),
    (2, "model registry", _model_registry),
    (3, "saved predictions", _records),
    (4, "background jobs", _jobs),
    (5, "record indexes for listing newest first, per user and per student", _record_indexes),
    (6, "record values in double precision", _record_value_double),
    (7, "exam intervals in columns", _record_intervals),
]


def current_version() -> int:
    """The highest applied migration, 0 for an empty database."""
    if not database.table_exists(SchemaVersion._meta.table_name):
        return 0
    latest = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return latest or 0


def upgrade() -> list[int]:
    """Apply every pending migration, each in its own transaction; return the versions applied."""
    database.create_tables([SchemaVersion], safe=True)
    applied = []
    start = current_version()
    for version, name, migrate in MIGRATIONS:
        if version <= start:
            continue
        with database.atomic():
            migrate(database.obj)
            SchemaVersion.create(version=version, name=name)
        applied.append(version)
    return applied


def latest_version() -> int:
    """The version a fully upgraded database has."""
    return MIGRATIONS[-1][0]
