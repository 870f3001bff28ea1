"""SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import peewee

from db.connection import database


def is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def json_number(field: peewee.Field, key: str) -> peewee.Node:
    """A numeric member of a `BinaryJSONField` column, as SQL."""
    if is_postgres():
        return peewee.Cast(json_text(field, key), "DOUBLE PRECISION")
    return peewee.fn.json_extract(field, f"$.{key}")


def json_text(field: peewee.Field, key: str) -> peewee.Node:
    """A member of a `BinaryJSONField` column as text, as SQL."""
    if is_postgres():
        return peewee.Expression(field, "->>", peewee.Value(key, converter=str), flat=True)
    return peewee.fn.json_extract(field, f"$.{key}")


def json_members_csv(field: peewee.Field, keys: list[str]) -> peewee.Node:
    """Top-level members of a `BinaryJSONField` column as one CSV fragment ("23.0,Low,,7"),
    computed by the database; a missing or null member is an empty cell.

    Only for members that are numbers, missing, or words without commas or quotes (validated
    inputs): SQLite extracts them in one parse and strips the JSON punctuation; PostgreSQL reads
    each from the stored jsonb (no text to parse, unlike `json_to_record` on the text or one `->>`
    per member of text)."""
    if is_postgres():
        return peewee.fn.concat_ws(",", *[peewee.fn.coalesce(json_text(field, key), "") for key in keys])
    array = peewee.fn.json_extract(field, *[f"$.{key}" for key in keys])
    inner = peewee.fn.trim(array, "[]")  # refers to `array` once: SQLite would extract twice
    return peewee.fn.replace(peewee.fn.replace(inner, '"', ""), "null", "")


def csv_text(node: peewee.Node, formula_first: str) -> peewee.Node:
    """Free text as a CSV cell, computed by the database: quoted (inner quotes doubled), with a
    `'` put before a first character from `formula_first` so that no spreadsheet runs it as a
    formula; NULL stays NULL (an empty cell in `csv_line`)."""
    first = peewee.fn.substr(node, 1, 1)
    neutral = peewee.Case(None, [(first.in_(list(formula_first)), peewee.Value("'").concat(node))], node)
    return peewee.Value('"').concat(peewee.fn.replace(neutral, '"', '""')).concat('"')


def csv_timestamp(node: peewee.Node) -> peewee.Node:
    """A timestamp as "YYYY-MM-DD HH:MM:SS" text, computed by the database."""
    if is_postgres():
        return peewee.fn.to_char(node, "YYYY-MM-DD HH24:MI:SS")
    return peewee.fn.substr(node, 1, 19)


def csv_line(cells: list[peewee.Node]) -> peewee.Node:
    """Cells joined into one CSV line ending in CRLF, by one `format` call of the database (SQLite
    and PostgreSQL both have it; a NULL cell comes out empty, a number as its text). Text cells
    must be made safe first (`csv_text`)."""
    return peewee.fn.format(",".join(["%s"] * len(cells)) + "\r\n", *cells)


def day_of(field: peewee.Field) -> peewee.Node:
    """The calendar day of a timestamp column, as SQL."""
    if is_postgres():
        return peewee.fn.date_trunc("day", field)
    return peewee.fn.date(field)
