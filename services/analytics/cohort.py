"""Which rows a cohort holds: its filters checked against the task, applied in SQL or to a frame."""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import peewee

from db.queries import json_number, json_text
from db.tables import Record, User
from modelling.levels import level_names
from modelling.tasks import schema_for, task_for
from services import model_versions
from services.errors import InvalidInput
from services.predictions import bands_for
from services.records import RecordFilters, visible_records

PREDICTION = "prediction"
SOURCES = ("records", "training")


@dataclass(frozen=True)
class Cohort:
    """Filters applied to every figure at once: groups, category values, numeric ranges, dates, and
    (from the API) one user's or one student's predictions."""

    groups: tuple[str, ...] = ()
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ranges: tuple[tuple[str, float, float], ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    user_id: int | None = None
    student_ref: str | None = None


def check_source(source: str) -> str:
    """`source` if it is a data source of the analytics, else InvalidInput."""
    if source not in SOURCES:
        raise InvalidInput("Unknown data source.", {"source": "Use 'records' or 'training'."})
    return source


def value_field(task: str, source: str) -> str:
    """The outcome column of a source: the stored prediction, or the training target."""
    return PREDICTION if source == "records" else schema_for(task).target


def group_names(task: str, source: str) -> list[str]:
    """The groups rows fall into: predicted levels (records) or actual outcomes (training data)."""
    if source == "training":
        return task_for(task).actual_group_names(bands_for(task))
    return level_names(bands_for(task))


def numeric_fields(task: str, source: str) -> list[str]:
    """The task's numeric inputs, then the source's outcome column."""
    return [f.name for f in schema_for(task).numeric] + [value_field(task, source)]


def make_cohort(task: str, source: str, raw: Mapping[str, Any]) -> Cohort:
    """A Cohort from plain values (as the dashboard holds them), checking every field name."""
    schema = schema_for(model_versions.check_task(task))
    numeric = set(numeric_fields(task, check_source(source)))
    categories = {f.name: set(f.categories) | {"missing"} for f in schema.categorical}
    problems: dict[str, str] = {}
    chosen_categories = []
    for name, values in (raw.get("categories") or {}).items():
        if name not in categories:
            problems[name] = "Not a category field of this task."
        elif values:
            chosen_categories.append((name, tuple(v for v in values if v in categories[name])))
    chosen_ranges = []
    for name, bounds in (raw.get("ranges") or {}).items():
        if name not in numeric:
            problems[name] = "Not a numeric field of this task."
            continue
        low, high = sorted(float(b) for b in bounds)
        chosen_ranges.append((name, low, high))
    if problems:
        raise InvalidInput("Some cohort filters are invalid.", problems)
    allowed_groups = set(group_names(task, source))
    return Cohort(
        groups=tuple(g for g in raw.get("groups") or () if g in allowed_groups),
        categories=tuple(sorted(chosen_categories)),
        ranges=tuple(sorted(chosen_ranges)),
        date_from=_as_date(raw.get("date_from")) if source == "records" else None,
        date_to=_as_date(raw.get("date_to")) if source == "records" else None,
    )


def api_cohort(source: str, filters: RecordFilters) -> Cohort:
    """The cohort of the API's record filters (the training data takes none of them)."""
    if source == "training":
        return Cohort()
    return Cohort(
        groups=(filters.level,) if filters.level else (),
        date_from=filters.date_from,
        date_to=filters.date_to,
        user_id=filters.user_id,
        student_ref=filters.student_ref,
    )


def _as_date(value: Any) -> date | None:
    if not value:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise InvalidInput("Invalid date.", {"date": f"{value!r} is not a date (YYYY-MM-DD)."}) from exc


def indexed_records(viewer: User, task: str, cohort: Cohort):
    """Stored predictions of `task` in the cohort's groups, dates, user and student (indexed columns)."""
    filters = RecordFilters(
        task=task,
        date_from=cohort.date_from,
        date_to=cohort.date_to,
        user_id=cohort.user_id,
        student_ref=cohort.student_ref,
    )
    query = visible_records(viewer, filters)
    if cohort.groups:
        query = query.where(Record.level.in_(list(cohort.groups)))
    return query


def cohort_records(viewer: User, task: str, cohort: Cohort):
    """Stored predictions of `task` in the cohort (JSON input fields filtered in SQL)."""
    query = indexed_records(viewer, task, cohort)
    conditions = []
    for name, values in cohort.categories:
        expression = json_text(Record.inputs, name)
        present = [v for v in values if v != "missing"]
        condition = expression.in_(present) if present else peewee.SQL("1 = 0")
        conditions.append(condition | expression.is_null() if "missing" in values else condition)
    for name, low, high in cohort.ranges:
        condition = record_column(name).between(low, high)
        if name == PREDICTION:
            query = query.where(condition)
        else:
            conditions.append(condition)
    if conditions:
        # PostgreSQL keeps no statistics on JSON members and guesses that each such filter keeps
        # 0.5% of the rows: reading a whole cohort then looks cheaper than walking its newest rows
        # by index until the window is full, which is what is fast. Inside one CASE the filters
        # count as one condition of unknown selectivity (one half), and the planner walks the index.
        query = query.where(peewee.Case(None, [(functools.reduce(operator.and_, conditions), True)], False))
    return query


def record_column(name: str) -> peewee.Node:
    """A numeric field of stored predictions as SQL: the prediction, or an input field."""
    return Record.value if name == PREDICTION else json_number(Record.inputs, name)


def filter_frame(frame: pd.DataFrame, cohort: Cohort) -> pd.DataFrame:
    """The rows of a frame (with a `level` group column) in the cohort."""
    mask = np.ones(len(frame), dtype=bool)
    if cohort.groups:
        mask &= frame["level"].isin(cohort.groups).to_numpy()
    for name, values in cohort.categories:
        mask &= frame[name].fillna("missing").isin(values).to_numpy()
    for name, low, high in cohort.ranges:
        mask &= frame[name].between(low, high).to_numpy()
    return frame[mask]
