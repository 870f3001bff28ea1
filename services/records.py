"""Saved predictions: list, read, delete and export, each limited to what the viewer may see."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time

import peewee

from db import statements
from db.connection import database
from db.queries import csv_line, csv_text, csv_timestamp, is_postgres, json_members_csv
from db.statements import Condition
from db.tables import Activity, Record, User
from modelling.cells import FORMULA_PREFIXES
from modelling.tasks import TASKS, schema_for
from services import access_log
from services.accounts import Page
from services.errors import NotFound

log = logging.getLogger(__name__)
# The export's last line when the database fails mid-stream: the status (200) is sent by then,
# so the file itself says it is incomplete.
EXPORT_FAILED = "# ERROR: export incomplete: the database stopped answering; this file lacks rows.\r\n"

# Each task's value has its own column; the level and the interval are shared.
OUTPUT_COLUMNS = [*(task.value_name for task in TASKS.values()), "level", "interval_low", "interval_high"]


@dataclass(frozen=True)
class RecordFilters:
    """Filters shared by the list, the export and the dashboards."""

    task: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    level: str | None = None
    user_id: int | None = None
    student_ref: str | None = None


def record_conditions(viewer: User, filters: RecordFilters) -> list[Condition]:
    """What a record must meet to be listed: the viewer's own (an admin sees all), then the
    filters, as (column, operator, value)."""
    conditions: list[Condition] = []
    if not viewer.is_admin:
        conditions.append((Record.user, "=", viewer.id))
    elif filters.user_id is not None:
        conditions.append((Record.user, "=", filters.user_id))
    if filters.task:
        conditions.append((Record.task, "=", filters.task))
    if filters.level:
        conditions.append((Record.level, "=", filters.level))
    if filters.student_ref:
        conditions.append((Record.student_ref, statements.CONTAINS, filters.student_ref))
    if filters.date_from:
        conditions.append((Record.created_at, ">=", datetime.combine(filters.date_from, time.min)))
    if filters.date_to:
        conditions.append((Record.created_at, "<=", datetime.combine(filters.date_to, time.max)))
    return conditions


def visible_records(viewer: User, filters: RecordFilters):
    """Records the viewer may see (their own; an admin sees all), filtered, as a query."""
    query = Record.select()
    for column, operator, value in record_conditions(viewer, filters):
        query = query.where(statements.condition_expression(column, operator, value))
    return query


def records_page(viewer: User, filters: RecordFilters, page: int = 1, per_page: int = 20) -> Page:
    """One page of records, newest first, with the total count."""
    conditions = record_conditions(viewer, filters)
    total = Record.count_where(conditions)
    rows = Record.newest_with_outputs(conditions, per_page, (page - 1) * per_page)
    return Page([row.to_dict() for row in rows], total, page, per_page)


def get_record(viewer: User, record_id: int) -> Record:
    """One record the viewer may see; another user's record is reported as not found."""
    query = Record.with_outputs().where(Record.id == record_id)
    if not viewer.is_admin:
        query = query.where(Record.user == viewer.id)
    record = query.first()
    if record is None:
        raise NotFound("No such record.")
    return record


def delete_record(viewer: User, record_id: int, ip: str | None = None) -> None:
    """Delete one record the viewer may see."""
    record = get_record(viewer, record_id)
    with database.atomic():
        record.delete_instance()
        Activity.record("record_delete", viewer, ip, record=record_id, task=record.task)


def export_columns(task: str | None) -> list[str]:
    """Header of the export: record columns, the task's inputs, then the outputs."""
    schemas = [schema_for(task)] if task else [definition.form.schema for definition in TASKS.values()]
    inputs = [name for schema in schemas for name in schema.names]
    return ["id", "created_at", "username", "task", "student_ref", "model_version", *inputs, *OUTPUT_COLUMNS]


EXPORT_PAGE = 5000
EXPORT_CONNECTIONS = 3  # PostgreSQL: pages written at once


def _export_line(input_names: list[str]) -> peewee.Node:
    """The export's CSV line as SQL: the database writes each line (inputs taken from the JSON in
    one pass, text neutralised and quoted, numbers as text), so Python only joins them, and the
    outputs table is never read. The inputs need no neutralising: they were validated (numbers,
    or categories from a fixed list)."""
    text = [csv_text(column, FORMULA_FIRST) for column in (User.username, Record.student_ref)]
    by_task = [peewee.Case(None, [(Record.task == task, Record.value)], None) for task in TASKS]
    return csv_line(
        [
            Record.id,
            csv_timestamp(Record.created_at),
            text[0],
            Record.task,
            text[1],
            Record.model_version,
            json_members_csv(Record.inputs, input_names),
            *by_task,
            Record.level,
            Record.interval_low,
            Record.interval_high,
        ]
    )


def _newest_first(query):
    return query.order_by(Record.created_at.desc(), Record.id.desc())


def _key(query, operator: str, key: tuple):
    """`query` narrowed to records whose (created_at, id) key is `operator` `key`."""
    record_key = peewee.Tuple(Record.created_at, Record.id)
    return query.where(peewee.Expression(record_key, operator, peewee.Tuple(*key)))


def _page_bounds(keys) -> Iterator[tuple[tuple | None, tuple | None]]:
    """(after, last) keys of each export page of EXPORT_PAGE records, newest first (after None:
    from the newest; last None: to the oldest). `last` is found by skipping EXPORT_PAGE - 1 keys
    past `after`, an index range, so the pages themselves can be written in parallel."""
    after = None
    while True:
        following = keys if after is None else _key(keys, "<", after)
        boundary = _newest_first(following).offset(EXPORT_PAGE - 1).limit(1)
        row = database.execute_sql(*boundary.sql()).fetchone()
        last = tuple(row) if row else None
        yield after, last
        if last is None:
            return
        after = last


def _page_text(lines, after: tuple | None, last: tuple | None) -> str:
    """One page's CSV lines (between the `after` and `last` keys), written by the database."""
    if after is not None:
        lines = _key(lines, "<", after)
    if last is not None:
        lines = _key(lines, ">=", last)
    rows = database.execute_sql(*_newest_first(lines).sql()).fetchall()
    return "".join([row[0] for row in rows])


def _page_text_on_own_connection(lines, after: tuple | None, last: tuple | None) -> str:
    with database.connection_context():
        return _page_text(lines, after, last)


def _export_pages(lines, keys) -> Iterator[str]:
    """The export's pages in order. PostgreSQL writes the lines in its own processes, so
    EXPORT_CONNECTIONS pages are written at once, each on a pooled connection of its own, with at
    most one more waiting to be sent (memory stays flat); SQLite writes them inside this process,
    under the interpreter's lock, where parallel pages measured slower, so one follows another."""
    bounds = _page_bounds(keys)
    if not is_postgres():
        for after, last in bounds:
            yield _page_text(lines, after, last)
        return
    with ThreadPoolExecutor(EXPORT_CONNECTIONS, thread_name_prefix="export") as pool:
        pending: deque[Future[str]] = deque()
        try:
            for after, last in bounds:
                pending.append(pool.submit(_page_text_on_own_connection, lines, after, last))
                if len(pending) > EXPORT_CONNECTIONS:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for page in pending:
                page.cancel()


FORMULA_FIRST = "".join(FORMULA_PREFIXES)


def export_csv(viewer: User, filters: RecordFilters, ip: str | None = None) -> Iterator[str]:
    """The filtered records as CSV text, a page at a time (newest first). The first page is read
    here, before anything is sent, so a database that is down fails the request; a failure after
    that ends the text with the EXPORT_FAILED line."""
    columns = export_columns(filters.task)
    visible = visible_records(viewer, filters)
    lines = visible.select(_export_line(columns[6 : -len(OUTPUT_COLUMNS)])).join(User)
    Activity.record("records_export", viewer, ip, task=filters.task, level=filters.level)
    access_log.record(viewer, "export", list="records", task=filters.task, level=filters.level)
    pages = _export_pages(lines, visible.select(Record.created_at, Record.id))
    first = ",".join(columns) + "\r\n" + next(pages, "")
    return _marked_stream(first, pages)


def _marked_stream(first: str, pages: Iterator[str]) -> Iterator[str]:
    yield first
    try:
        yield from pages
    except peewee.PeeweeException:
        log.exception("records export failed mid-stream")
        yield EXPORT_FAILED


SORTABLE_COLUMNS = {
    "id": Record.id,
    "created_at": Record.created_at,
    "task": Record.task,
    "student_ref": Record.student_ref,
    "value": Record.value,
    "level": Record.level,
    "model_version": Record.model_version,
    "username": User.username,
}


def records_window(
    viewer: User, filters: RecordFilters, start: int, end: int, sort: list[dict] | None = None
) -> tuple[list[dict], int]:
    """Rows `start`..`end` (exclusive) of the visible, filtered records in the requested order
    (a list of {"colId", "sort"}; newest first by default), as light dicts, with the total count."""
    query = visible_records(viewer, filters)
    total = query.count()
    ordering = []
    for item in sort or []:
        column = SORTABLE_COLUMNS.get(item.get("colId", ""))
        if column is None:
            continue
        if column is Record.value and not filters.task:
            # A score in points and a probability are not one scale: values sort within each task.
            ordering.append(Record.task.asc())
        ordering.append(column.desc() if item.get("sort") == "desc" else column.asc())
    ordering += [Record.created_at.desc(), Record.id.desc()]
    start = max(0, int(start))
    size = max(0, min(int(end) - start, 500))
    rows = (
        query.select(
            Record.id,
            Record.created_at,
            Record.task,
            Record.student_ref,
            Record.value,
            Record.level,
            Record.model_version,
            User.username,
        )
        .join(User)
        .order_by(*ordering)
        .offset(start)
        .limit(size)
        .dicts()
    )
    return list(rows), total
