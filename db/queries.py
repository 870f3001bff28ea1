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


def json_members_csv(field: peewee.Field, paths: list[tuple[str, ...]]) -> peewee.Node:
    """Members of a JSON object column (each a path of keys) as one CSV fragment ("23.0,Low,,7"),
    computed by the database.

    Only for members that are numbers, missing, or words without commas or quotes (validated
    inputs, model outputs): SQLite extracts them in one parse and strips the JSON punctuation;
    PostgreSQL joins each member's text."""
    if is_postgres():
        members = []
        for path in paths:
            arrows = "".join(" -> %s" for _ in path[:-1]) + " ->> %s"
            members.append(f"coalesce(parsed.doc{arrows}, '')")
        params = [key for path in paths for key in path]
        # Parsed once per row as jsonb, then each member is a lookup (json ->> re-reads the text).
        return peewee.SQL(
            f"(SELECT concat_ws(',', {', '.join(members)})"
            f" FROM (SELECT {field.column_name}::jsonb AS doc) AS parsed)",
            params,
        )
    array = peewee.fn.json_extract(field, *["$." + ".".join(path) for path in paths])
    inner = peewee.fn.trim(array, "[]")  # refers to `array` once: SQLite would extract twice
    return peewee.fn.replace(peewee.fn.replace(inner, '"', ""), "null", "")


def day_of(field: peewee.Field) -> peewee.Node:
    """The calendar day of a timestamp column, as SQL."""
    if is_postgres():
        return peewee.fn.date_trunc("day", field)
    return peewee.fn.date(field)
