"""Saved predictions: list, read, delete and export, each limited to what the viewer may see."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

import peewee

from db.connection import database
from db.models import Activity, Record, User
from db.queries import json_members_csv
from modelling.schemas import DROPOUT, EXAM, schema_for
from services.accounts import Page
from services.errors import NotFound

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
OUTPUT_COLUMNS = ["score", "probability", "level", "interval_low", "interval_high"]


@dataclass(frozen=True)
class RecordFilters:
    """Filters shared by the list, the export and the dashboards."""

    task: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    level: str | None = None
    user_id: int | None = None
    student_ref: str | None = None


def visible_records(viewer: User, filters: RecordFilters):
    """Records the viewer may see (their own; an admin sees all), filtered."""
    query = Record.select()
    if not viewer.is_admin:
        query = query.where(Record.user == viewer)
    elif filters.user_id is not None:
        query = query.where(Record.user == filters.user_id)
    if filters.task:
        query = query.where(Record.task == filters.task)
    if filters.level:
        query = query.where(Record.level == filters.level)
    if filters.student_ref:
        query = query.where(Record.student_ref == filters.student_ref)
    if filters.date_from:
        query = query.where(Record.created_at >= datetime.combine(filters.date_from, time.min))
    if filters.date_to:
        query = query.where(Record.created_at <= datetime.combine(filters.date_to, time.max))
    return query


def records_page(viewer: User, filters: RecordFilters, page: int = 1, per_page: int = 20) -> Page:
    """One page of records, newest first, with the total count."""
    query = visible_records(viewer, filters)
    total = query.count()
    rows = query.order_by(Record.created_at.desc(), Record.id.desc()).paginate(page, per_page)
    return Page([row.to_dict() for row in rows], total, page, per_page)


def get_record(viewer: User, record_id: int) -> Record:
    """One record the viewer may see; another user's record is reported as not found."""
    query = Record.select().where(Record.id == record_id)
    if not viewer.is_admin:
        query = query.where(Record.user == viewer)
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


def neutralise(value: object) -> object:
    """A cell that a spreadsheet will not run as a formula (text only: numbers cannot be)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def export_columns(task: str | None) -> list[str]:
    """Header of the export: record columns, the task's inputs, then the outputs."""
    schemas = [schema_for(task)] if task else [EXAM, DROPOUT]
    inputs = [name for schema in schemas for name in schema.names]
    return ["id", "created_at", "username", "task", "student_ref", "model_version", *inputs, *OUTPUT_COLUMNS]


EXPORT_PAGE = 5000


def _export_fields(input_names: list[str]) -> list[peewee.Node]:
    """The export's columns as SQL: the database turns each record's JSON inputs into a CSV
    fragment, so no JSON is parsed in Python, and the outputs are never read."""
    by_task = [
        peewee.Case(None, [(Record.task == task, Record.value)], None) for task in ("exam-score", "dropout")
    ]
    return [
        Record.id,
        Record.created_at,
        User.username,
        Record.task,
        Record.student_ref,
        Record.model_version,
        json_members_csv(Record.inputs, input_names),
        *by_task,
        Record.level,
        Record.interval_low,
        Record.interval_high,
    ]


def _keyset_pages(query) -> Iterator[list[tuple]]:
    """Raw rows newest first, a page at a time (keyset on the indexed created_at, then id), so
    memory stays flat and every page is an index range scan on every backend."""
    last = None
    while True:
        page = query.order_by(Record.created_at.desc(), Record.id.desc()).limit(EXPORT_PAGE)
        if last is not None:
            page = page.where(peewee.Tuple(Record.created_at, Record.id) < peewee.Tuple(*last))
        sql, params = page.sql()
        rows = database.execute_sql(sql, params).fetchall()
        if not rows:
            return
        yield rows
        last = (rows[-1][1], rows[-1][0])


FORMULA_FIRST = "".join(FORMULA_PREFIXES)
NEEDS_QUOTES = re.compile('[,"\n\r]')


def _text_cell(value: str | None) -> str:
    """Free text as a CSV cell: neutralised, then quoted when it holds a comma, quote or newline."""
    if not value:
        return ""
    if value[0] in FORMULA_FIRST:
        value = "'" + value
    if NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


_username_cell = lru_cache(maxsize=4096)(_text_cell)


def _export_line(row: tuple) -> str:
    """One fetched row as a CSV line. The inputs arrive as a ready fragment and need no
    neutralising: they were validated (numbers, or categories from a fixed list)."""
    record_id, created_at, username, task, student_ref, version, inputs = row[:7]
    score, probability, level, low, high = row[7:]
    when = created_at if isinstance(created_at, str) else created_at.isoformat(sep=" ")
    return (
        f"{record_id},{when[:19]},{_username_cell(username)},{task},{_text_cell(student_ref)},{version},"
        f"{inputs},{'' if score is None else score},{'' if probability is None else probability},{level},"
        f"{'' if low is None else low},{'' if high is None else high}\r\n"
    )


def export_csv(viewer: User, filters: RecordFilters, ip: str | None = None) -> Iterator[str]:
    """The filtered records as CSV text, produced a page at a time (newest first)."""
    columns = export_columns(filters.task)
    input_names = columns[6 : -len(OUTPUT_COLUMNS)]
    base = visible_records(viewer, filters).select(*_export_fields(input_names)).join(User)
    Activity.record("records_export", viewer, ip, task=filters.task, level=filters.level)
    yield ",".join(columns) + "\r\n"
    for rows in _keyset_pages(base):
        yield "".join(map(_export_line, rows))


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
        if column is not None:
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
