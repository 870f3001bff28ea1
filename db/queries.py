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


def json_members_csv(field: peewee.Field, keys: list[str]) -> peewee.Node:
    """Top-level members of a JSON object column as one CSV fragment ("23.0,Low,,7"), computed by
    the database; a missing or null member is an empty cell.

    Only for members that are numbers, missing, or words without commas or quotes (validated
    inputs): SQLite extracts them in one parse and strips the JSON punctuation; PostgreSQL reads
    them in one `json_to_record` call (ten times faster than one `->>` per member, which re-reads
    the text each time). `keys` come from a schema, never from a request."""
    if is_postgres():
        columns = ", ".join(f'"{key}" text' for key in keys)
        cells = ", ".join(f"coalesce(member.\"{key}\", '')" for key in keys)
        return peewee.SQL(
            f"(SELECT concat_ws(',', {cells})"
            f" FROM json_to_record({field.column_name}::json) AS member({columns}))"
        )
    array = peewee.fn.json_extract(field, *[f"$.{key}" for key in keys])
    inner = peewee.fn.trim(array, "[]")  # refers to `array` once: SQLite would extract twice
    return peewee.fn.replace(peewee.fn.replace(inner, '"', ""), "null", "")


def day_of(field: peewee.Field) -> peewee.Node:
    """The calendar day of a timestamp column, as SQL."""
    if is_postgres():
        return peewee.fn.date_trunc("day", field)
    return peewee.fn.date(field)
