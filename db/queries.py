"""SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import peewee

from db.connection import database


def is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def json_number(field: peewee.Field, key: str) -> peewee.Node:
    """A numeric member of a JSON text column, as SQL."""
    if is_postgres():
        return peewee.SQL(f"CAST(({field.column_name}::json ->> %s) AS DOUBLE PRECISION)", (key,))
    return peewee.fn.json_extract(field, f"$.{key}")


def json_text(field: peewee.Field, key: str) -> peewee.Node:
    """A text member of a JSON text column, as SQL."""
    if is_postgres():
        return peewee.SQL(f"({field.column_name}::json ->> %s)", (key,))
    return peewee.fn.json_extract(field, f"$.{key}")


def day_of(field: peewee.Field) -> peewee.Node:
    """The calendar day of a timestamp column, as SQL."""
    if is_postgres():
        return peewee.fn.date_trunc("day", field)
    return peewee.fn.date(field)
