"""Hand-written SQL for the few statements every API request runs.

Peewee's query builder spends longer composing a small query than SQLite or PostgreSQL spend
running it; on the hot path (token checks, the active model's id, one record and one activity
row per prediction) the text of each statement is made once per database and reused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import peewee

from db.connection import database

_texts: dict[tuple, str] = {}


def _quoted(name: str) -> str:
    quote = database.quote or '""'
    return f"{quote[0]}{name}{quote[1]}"


def statement(key: tuple, build) -> str:
    """The SQL text for `key`, built by `build()` once per database dialect."""
    full_key = (database.param, *key)
    text = _texts.get(full_key)
    if text is None:
        text = _texts[full_key] = build()
    return text


def insert(model: type[peewee.Model], values: dict[str, Any]) -> int:
    """Insert one row of `model` (defaults filled as peewee would) and return its id."""
    fields = model._meta.fields
    row = dict(values)
    for name, model_field in fields.items():
        if name not in row and not model_field.primary_key and model_field.default is not None:
            default = model_field.default
            row[name] = default() if callable(default) else default
    names = tuple(row)

    def build() -> str:
        columns = ", ".join(_quoted(fields[name].column_name) for name in names)
        marks = ", ".join([database.param] * len(names))
        key = _quoted(model._meta.primary_key.column_name)
        returning = f" RETURNING {key}" if database.returning_clause else ""
        return f"INSERT INTO {_quoted(model._meta.table_name)} ({columns}) VALUES ({marks}){returning}"

    text = statement(("insert", model._meta.table_name, names), build)
    params = [fields[name].db_value(_key_of(row[name])) for name in names]
    cursor = database.execute_sql(text, params)
    if database.returning_clause:
        return cursor.fetchone()[0]
    return cursor.lastrowid


def _all_equal(columns: Sequence[str]) -> str:
    """SQL saying that each of `columns` equals its parameter."""
    return " AND ".join(f"{_quoted(column)} = {database.param}" for column in columns)


def _key_of(value: Any) -> Any:
    return value.get_id() if isinstance(value, peewee.Model) else value


def select_one(model: type[peewee.Model], where: Sequence[str], params: Sequence[Any]) -> peewee.Model | None:
    """The first `model` row whose columns in `where` equal `params` (all columns), or None."""

    def build() -> str:
        return f"SELECT * FROM {_quoted(model._meta.table_name)} WHERE {_all_equal(where)} LIMIT 1"

    text = statement(("select", model._meta.table_name, tuple(where)), build)
    cursor = database.execute_sql(text, list(params))
    row = cursor.fetchone()
    return None if row is None else model_from_row(model, cursor.description, row)


def select_values(
    table: str, columns: Sequence[str], where: Sequence[str], params: Sequence[Any]
) -> tuple | None:
    """`columns` of the first row of `table` whose `where` columns equal `params`, as a plain tuple
    (no model built), or None."""

    def build() -> str:
        names = ", ".join(_quoted(column) for column in columns)
        return f"SELECT {names} FROM {_quoted(table)} WHERE {_all_equal(where)} LIMIT 1"

    text = statement(("values", table, tuple(columns), tuple(where)), build)
    return database.execute_sql(text, list(params)).fetchone()


def exists_in(table: str, column: str, values: Sequence[Any]) -> bool:
    """Whether any row of `table` has `column` equal to one of `values`."""

    def build() -> str:
        marks = ", ".join([database.param] * len(values))
        return f"SELECT 1 FROM {_quoted(table)} WHERE {_quoted(column)} IN ({marks}) LIMIT 1"

    text = statement(("exists", table, column, len(values)), build)
    return database.execute_sql(text, list(values)).fetchone() is not None


def select_one_and_exists(
    model: type[peewee.Model], key: Any, table: str, column: str, values: Sequence[Any]
) -> tuple[peewee.Model | None, bool]:
    """The `model` row whose primary key is `key` (or None), and whether any row of `table` has
    `column` equal to one of `values`: both in one round trip."""
    model_table = _quoted(model._meta.table_name)
    primary_key = _quoted(model._meta.primary_key.column_name)

    def build() -> str:
        marks = ", ".join([database.param] * len(values))
        found = f"EXISTS (SELECT 1 FROM {_quoted(table)} WHERE {_quoted(column)} IN ({marks}))"
        return (
            f"SELECT {found} AS found_in_other, {model_table}.* FROM (SELECT 1 AS one) AS always"
            f" LEFT JOIN {model_table} ON {model_table}.{primary_key} = {database.param}"
        )

    text = statement(("select-and-exists", model._meta.table_name, table, column, len(values)), build)
    cursor = database.execute_sql(text, [*values, key])
    row = cursor.fetchone()
    if row[1] is None:
        return None, bool(row[0])
    return model_from_row(model, cursor.description[1:], row[1:]), bool(row[0])


Condition = tuple[peewee.Field, str, Any]  # (column, one of "=", "<", "<=", ">", ">=", value)
OPERATORS = frozenset(("=", "<", "<=", ">", ">="))
# (column, CONTAINS, text): the column holds `text`, ignoring case, with % and _ taken literally.
CONTAINS = "contains"


def like_pattern(text: str) -> str:
    """A LIKE pattern (escape character backslash) matching any value that holds `text`, lowercased."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def where_clause(conditions: Sequence[Condition]) -> tuple[str, list[Any]]:
    """` WHERE …` for `conditions` (all must hold; "" for none) and its parameters, each value
    converted as its column would."""
    if not conditions:
        return "", []
    parts, params = [], []
    for column, operator, value in conditions:
        if operator == CONTAINS:
            parts.append(f"LOWER({_quoted(column.column_name)}) LIKE {database.param} ESCAPE '\\'")
            params.append(like_pattern(value))
            continue
        if operator not in OPERATORS:
            raise ValueError(f"unsupported operator {operator!r}")
        parts.append(f"{_quoted(column.column_name)} {operator} {database.param}")
        params.append(column.db_value(_key_of(value)))
    return " WHERE " + " AND ".join(parts), params


def condition_expression(column: peewee.Field, operator: str, value: Any) -> peewee.Expression:
    """One condition as a Peewee expression (the same meaning as its text in `where_clause`)."""
    if operator == CONTAINS:
        # Peewee's ILIKE is SQLite's LIKE (its LIKE would be GLOB); on a lowered column and pattern
        # both stores match as the text in `where_clause` does.
        return peewee.Expression(
            peewee.fn.LOWER(column),
            peewee.OP.ILIKE,
            peewee.NodeList((like_pattern(value), peewee.SQL("ESCAPE '\\'"))),
        )
    return peewee.Expression(column, operator, value)


def condition_shape(conditions: Sequence[Condition]) -> tuple:
    """What the SQL text of `conditions` depends on (not their values), to key cached statements."""
    return tuple((column.model._meta.table_name, column.name, operator) for column, operator, _ in conditions)


def model_from_row(model: type[peewee.Model], description: Sequence, row: Sequence[Any]) -> peewee.Model:
    """A `model` instance from a `SELECT *` row, each value converted as its field would."""
    columns = model._meta.columns
    values = {}
    for column, value in zip(description, row, strict=True):
        field = columns[column[0]]
        values[field.name] = field.python_value(value)
    return model(**values)
