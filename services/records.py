"""Saved predictions: list, read, delete and export, each limited to what the viewer may see."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

import peewee

from db.connection import database
from db.models import Activity, Record, User
from db.queries import csv_line, csv_text, csv_timestamp, json_members_csv
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
        query = query.where(Record.user == viewer.id)
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
    newest_first = (Record.created_at.desc(), Record.id.desc())
    shown = query.select(Record.id).order_by(*newest_first).paginate(page, per_page)
    rows = Record.with_outputs().where(Record.id.in_(shown)).order_by(*newest_first)
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


def _export_line(input_names: list[str]) -> peewee.Node:
    """The export's CSV line as SQL: the database writes each line (inputs taken from the JSON in
    one pass, text neutralised and quoted, numbers as text), so Python only joins them, and the
    outputs table is never read. The inputs need no neutralising: they were validated (numbers,
    or categories from a fixed list)."""
    text = [csv_text(column, FORMULA_FIRST) for column in (User.username, Record.student_ref)]
    by_task = [
        peewee.Case(None, [(Record.task == task, Record.value)], None) for task in ("exam-score", "dropout")
    ]
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


def _keyset_pages(query) -> Iterator[list[tuple]]:
    """Rows (created_at, id, ...) newest first, a page at a time (keyset on the indexed
    created_at, then id), so memory stays flat and every page is an index range scan."""
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
        last = rows[-1][:2]


FORMULA_FIRST = "".join(FORMULA_PREFIXES)


def export_csv(viewer: User, filters: RecordFilters, ip: str | None = None) -> Iterator[str]:
    """The filtered records as CSV text, produced a page at a time (newest first)."""
    columns = export_columns(filters.task)
    line = _export_line(columns[6 : -len(OUTPUT_COLUMNS)])
    base = visible_records(viewer, filters).select(Record.created_at, Record.id, line).join(User)
    Activity.record("records_export", viewer, ip, task=filters.task, level=filters.level)
    yield ",".join(columns) + "\r\n"
    for rows in _keyset_pages(base):
        yield "".join([row[2] for row in rows])


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
