"""Saved predictions: list, read, delete and export, each limited to what the viewer may see."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

import peewee

from db.connection import database
from db.models import Activity, Record, User
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


EXPORT_FIELDS = (
    Record.id,
    Record.created_at,
    User.username,
    Record.task,
    Record.student_ref,
    Record.model_version,
    Record.level,
    Record.inputs,
    Record.outputs,
)


def _keyset_pages(query) -> Iterator[tuple]:
    """Raw rows newest first, a page at a time (keyset on the indexed created_at, then id), so
    memory stays flat and every page is an index range scan on every backend. JSON columns
    come back as text (parsed once by the caller)."""
    last = None
    while True:
        page = query.order_by(Record.created_at.desc(), Record.id.desc()).limit(EXPORT_PAGE)
        if last is not None:
            page = page.where(peewee.Tuple(Record.created_at, Record.id) < peewee.Tuple(*last))
        sql, params = page.sql()
        rows = database.execute_sql(sql, params).fetchall()
        if not rows:
            return
        yield from rows
        last = (rows[-1][1], rows[-1][0])


def export_csv(viewer: User, filters: RecordFilters, ip: str | None = None) -> Iterator[str]:
    """The filtered records as CSV text, produced a page at a time (newest first)."""
    columns = export_columns(filters.task)
    input_names = columns[6 : -len(OUTPUT_COLUMNS)]
    base = visible_records(viewer, filters).select(*EXPORT_FIELDS).join(User)
    Activity.record("records_export", viewer, ip, task=filters.task, level=filters.level)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for record_id, created_at, username, task, student_ref, version, level, inputs, outputs in _keyset_pages(
        base
    ):
        values = json.loads(inputs)
        result = json.loads(outputs) if outputs else {}
        interval = result.get("interval") or {}
        when = created_at if isinstance(created_at, str) else created_at.isoformat(sep=" ")
        writer.writerow(
            [
                record_id,
                when[:19],
                neutralise(username),
                task,
                neutralise(student_ref),
                version,
                *[neutralise(values.get(name)) for name in input_names],
                result.get("score", ""),
                result.get("probability", ""),
                level,
                interval.get("low", ""),
                interval.get("high", ""),
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
