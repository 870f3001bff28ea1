"""Multi-row upserts of column-wise data (numpy arrays), for imports of hundreds of thousands of rows.

Peewee's `insert_many` composes its SQL in Python value by value, which costs more than the
database takes to store the rows; here the statement text is made once per shape and the values go
as flat parameters (SQLite: pages of multi-row VALUES) or as one array per column (PostgreSQL:
`INSERT ... SELECT FROM unnest(...)`, one statement per call whatever the row count).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import peewee
import psycopg2
from psycopg2.extras import execute_values

from db.connection import database
from db.queries import is_postgres

SQLITE_MAX_PARAMS = 32_766  # SQLite's default limit of bound parameters per statement (3.32 and later)


def upsert(model: type[peewee.Model], columns: dict[str, Sequence], *, changed_only: bool = True) -> int:
    """Insert the rows given column by column (model field names to equal-length arrays; None is NULL);
    a row whose primary key exists replaces the stored values. Returns the rows inserted or changed
    (with `changed_only`, a row already holding the same values is left untouched and not counted)."""
    names = tuple(columns)
    count = len(next(iter(columns.values()))) if columns else 0
    if count == 0:
        return 0
    if is_postgres():
        return _postgres_arrays(model, names, columns, count, changed_only)
    return _sqlite_pages(model, names, columns, count, changed_only)


def _is_binary(values: Sequence) -> bool:
    return len(values) > 0 and isinstance(values[0], bytes | memoryview)


def _column_names(model: type[peewee.Model], names: tuple[str, ...]) -> list[str]:
    return [model._meta.fields[name].column_name for name in names]


@cache
def _conflict_clause(model: type[peewee.Model], names: tuple[str, ...], changed_only: bool, pg: bool) -> str:
    """ON CONFLICT (primary key) DO UPDATE of the other columns (only where one differs)."""
    table = model._meta.table_name
    key_fields = model._meta.primary_key.field_names
    keys = [model._meta.fields[name].column_name for name in key_fields]
    others = [model._meta.fields[name].column_name for name in names if name not in key_fields]
    assignments = ", ".join(f'"{column}" = excluded."{column}"' for column in others)
    target = ", ".join(f'"{column}"' for column in keys)
    text = f"ON CONFLICT ({target}) DO UPDATE SET {assignments}"
    if changed_only:
        stored = ", ".join(f'"{table}"."{column}"' for column in others)
        incoming = ", ".join(f'excluded."{column}"' for column in others)
        differs = "IS DISTINCT FROM" if pg else "IS NOT"
        text += f" WHERE ({stored}) {differs} ({incoming})"
    return text


def _table_head(model: type[peewee.Model], names: tuple[str, ...]) -> str:
    columns = ", ".join(f'"{column}"' for column in _column_names(model, names))
    return f'INSERT INTO "{model._meta.table_name}" ({columns})'


@cache
def _sqlite_text(model: type[peewee.Model], names: tuple[str, ...], rows: int, changed_only: bool) -> str:
    row = "(" + ", ".join("?" * len(names)) + ")"
    values = ", ".join([row] * rows)
    return (
        f"{_table_head(model, names)} VALUES {values} {_conflict_clause(model, names, changed_only, False)}"
    )


def _array(values: Sequence) -> np.ndarray:
    """An array as given, or a list as an object array (np.asarray would cut bytes' trailing zeros)."""
    if isinstance(values, np.ndarray):
        return values
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


def _as_table(columns: dict[str, Sequence]) -> np.ndarray:
    """The columns side by side as one 2-D array (integers stay integers; anything else as objects)."""
    arrays = [_array(values) for values in columns.values()]
    if all(array.dtype.kind in "iub" for array in arrays):
        return np.column_stack(arrays).astype(np.int64)
    table = np.empty((len(arrays[0]), len(arrays)), dtype=object)
    for j, array in enumerate(arrays):
        table[:, j] = array
    return table


def _pages(count: int, width: int) -> list[tuple[int, int]]:
    """(start, rows) of the statements for `count` rows of `width` values: full pages, then the rest in
    powers of two, so that a few statement texts serve every count (SQLite keeps each text it prepared,
    and a text per leftover size would fill its statement cache with large programs)."""
    page = 1 << (SQLITE_MAX_PARAMS // width).bit_length() - 1
    pages, start = [], 0
    while count - start >= page:
        pages.append((start, page))
        start += page
    for bit in reversed(range(page.bit_length())):
        if (count - start) & (1 << bit):
            pages.append((start, 1 << bit))
            start += 1 << bit
    return pages


def _sqlite_pages(model, names, columns, count: int, changed_only: bool) -> int:
    table = _as_table(columns)
    changed = 0
    for start, rows in _pages(count, len(names)):
        block = table[start : start + rows]
        cursor = database.execute_sql(
            _sqlite_text(model, names, len(block), changed_only), block.ravel().tolist()
        )
        changed += cursor.rowcount
    return changed


_ARRAY_TYPES = {peewee.SmallIntegerField: "smallint", peewee.BigIntegerField: "bigint"}


def _element_type(field: peewee.Field) -> str:
    """The SQL type of a column's values in an array parameter (the narrowest parses fastest)."""
    if isinstance(field, peewee.ForeignKeyField):
        field = field.rel_field
    return next((name for kind, name in _ARRAY_TYPES.items() if isinstance(field, kind)), "integer")


@cache
def _postgres_text(
    model: type[peewee.Model], names: tuple[str, ...], changed_only: bool, binary: tuple[bool, ...]
) -> str:
    """INSERT ... SELECT FROM unnest(one array per column). A binary column comes as one bytea of
    every row's value end to end and two integer arrays, each value's start and length in it: one
    bytea literal is parsed with far less work than an array of a million of them."""
    arrays, values, blobs = [], [], []
    for i, (name, is_binary) in enumerate(zip(names, binary, strict=True)):
        if is_binary:
            arrays += ["%s::integer[]", "%s::integer[]"]
            values.append(f"substring(b{i} FROM c{i} FOR l{i})")
            blobs.append(f"%s::bytea AS b{i}")
        else:
            arrays.append(f"%s::{_element_type(model._meta.fields[name])}[]")
            values.append(f"c{i}")
    aliases = ", ".join(f"c{i}, l{i}" if is_binary else f"c{i}" for i, is_binary in enumerate(binary))
    source = f"unnest({', '.join(arrays)}) AS u({aliases})"
    if blobs:
        source = f"(SELECT {', '.join(blobs)}) AS b, {source}"
    select = f"SELECT {', '.join(values)} FROM {source}"
    return f"{_table_head(model, names)} {select} {_conflict_clause(model, names, changed_only, True)}"


def _array_literal(values: Sequence) -> str:
    """A PostgreSQL array literal of integers ("{1,2,NULL}")."""
    array = _array(values)
    if array.dtype.kind in "iub":
        return "{" + ",".join(map(str, array.tolist())) + "}"
    return "{" + ",".join("NULL" if value is None else str(int(value)) for value in array.tolist()) + "}"


def _blob_params(values: Sequence[bytes]) -> tuple[list, list[str]]:
    """A binary column as (the values end to end, as a bytea parameter) and the array literals of
    each value's 1-based start and its length (a NULL value is not supported)."""
    lengths = np.fromiter((len(value) for value in values), dtype=np.int64, count=len(values))
    starts = np.cumsum(lengths) - lengths + 1
    return [psycopg2.Binary(b"".join(values))], [_array_literal(starts), _array_literal(lengths)]


def _postgres_arrays(model, names, columns, count: int, changed_only: bool) -> int:
    binary = tuple(_is_binary(values) for values in columns.values())
    blobs, arrays = [], []
    for values, is_binary in zip(columns.values(), binary, strict=True):
        if is_binary:
            blob, bounds = _blob_params(values)
            blobs += blob
            arrays += bounds
        else:
            arrays.append(_array_literal(values))
    cursor = database.execute_sql(_postgres_text(model, names, changed_only, binary), blobs + arrays)
    return cursor.rowcount


def _python_values(values: Sequence) -> list:
    """Values as Python objects (psycopg2 adapts no numpy scalar)."""
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def insert_new(model: type[peewee.Model], columns: dict[str, Sequence], unique: tuple[str, ...]) -> None:
    """Insert the rows given column by column, skipping those that would repeat a `unique` key."""
    names = tuple(columns)
    if not len(next(iter(columns.values()))):
        return
    keys = ", ".join(f'"{column}"' for column in _column_names(model, unique))
    if is_postgres():
        rows = list(zip(*[_python_values(values) for values in columns.values()], strict=True))
        text = f"{_table_head(model, names)} VALUES %s ON CONFLICT ({keys}) DO NOTHING"
        execute_values(database.cursor(), text, rows, page_size=len(rows))
        return
    table = _as_table(columns)
    row = "(" + ", ".join("?" * len(names)) + ")"
    for start, rows in _pages(len(table), len(names)):
        block = table[start : start + rows]
        values = ", ".join([row] * len(block))
        text = f"{_table_head(model, names)} VALUES {values} ON CONFLICT ({keys}) DO NOTHING"
        database.execute_sql(text, block.ravel().tolist())


def select_in(
    model: type[peewee.Model], fields: Sequence[str], equal: dict[str, object], name: str, values: Sequence
) -> list[tuple]:
    """Rows (the `fields`) of `model` whose `equal` columns match (a list: one of its values) and whose
    `name` column is one of `values`, in pages of IN (...) lists written directly (Peewee composes
    each value in Python)."""
    conditions, fixed = [], []
    for key, value in equal.items():
        options = list(value) if isinstance(value, list | tuple) else [value]
        marks = ", ".join([database.param] * len(options))
        conditions.append(f'"{model._meta.fields[key].column_name}" IN ({marks})')
        fixed += options
    selected = ", ".join(f'"{column}"' for column in _column_names(model, tuple(fields)))
    column = model._meta.fields[name].column_name
    found: list[tuple] = []
    page = SQLITE_MAX_PARAMS - len(fixed) - 1
    for start in range(0, len(values), page):
        block = [value for value in values[start : start + page]]
        marks = ", ".join([database.param] * len(block))
        where = " AND ".join([*conditions, f'"{column}" IN ({marks})'])
        text = f'SELECT {selected} FROM "{model._meta.table_name}" WHERE {where}'
        found.extend(database.execute_sql(text, [*fixed, *block]).fetchall())
    return found


def delete_keys(model: type[peewee.Model], columns: dict[str, Sequence]) -> int:
    """Delete the rows whose primary key is one of those given column by column; returns how many."""
    names = tuple(columns)
    count = len(next(iter(columns.values()))) if columns else 0
    if count == 0:
        return 0
    keys = _column_names(model, names)
    table = model._meta.table_name
    if is_postgres():
        arrays = ", ".join(f"%s::{_element_type(model._meta.fields[name])}[]" for name in names)
        match = " AND ".join(f't."{column}" = k.c{i}' for i, column in enumerate(keys))
        aliases = ", ".join(f"c{i}" for i in range(len(keys)))
        text = f'DELETE FROM "{table}" t USING unnest({arrays}) AS k({aliases}) WHERE {match}'
        params = [_array_literal(values) for values in columns.values()]
        return database.execute_sql(text, params).rowcount
    rows_of = _as_table(columns)
    row = "(" + ", ".join("?" * len(names)) + ")"
    target = "(" + ", ".join(f'"{column}"' for column in keys) + ")"
    deleted = 0
    for start, rows in _pages(count, len(names)):
        block = rows_of[start : start + rows]
        text = f'DELETE FROM "{table}" WHERE {target} IN (VALUES {", ".join([row] * len(block))})'
        deleted += database.execute_sql(text, block.ravel().tolist()).rowcount
    return deleted
