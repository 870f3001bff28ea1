"""The at-risk list: each student's latest dropout prediction at or above a threshold (administrators)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import peewee

from db.tables import Record, User
from modelling.cells import SafeWriter
from modelling.tasks import DROPOUT
from services import access_log
from services.errors import Forbidden, InvalidInput

TASK = DROPOUT.name  # the task whose risk levels the at-risk list follows
HISTORY_LIMIT = 500
COLUMNS = {
    "student_ref": Record.student_ref,
    "probability": Record.value,
    "risk_level": Record.level,
    "created_at": Record.created_at,
    "model_version": Record.model_version,
}
TEXT_FILTERS = {
    "contains": lambda c, v: c.contains(v),
    "notContains": lambda c, v: ~c.contains(v),
    "equals": lambda c, v: c == v,
    "notEqual": lambda c, v: c != v,
    "startsWith": lambda c, v: c.startswith(v),
    "endsWith": lambda c, v: c.endswith(v),
}
NUMBER_FILTERS = {
    "equals": lambda c, v, _t: c == v,
    "notEqual": lambda c, v, _t: c != v,
    "greaterThan": lambda c, v, _t: c > v,
    "greaterThanOrEqual": lambda c, v, _t: c >= v,
    "lessThan": lambda c, v, _t: c < v,
    "lessThanOrEqual": lambda c, v, _t: c <= v,
    "inRange": lambda c, v, t: c.between(v, t),
}


@dataclass(frozen=True)
class AtRiskQuery:
    """Threshold, sort (column, descending) and per-column filters as the grid sends them."""

    threshold: float = 0.7
    sort: tuple[tuple[str, bool], ...] = (("probability", True),)
    filters: dict[str, Any] = field(default_factory=dict)


def _require_admin(viewer: User) -> None:
    if not viewer.is_admin:
        raise Forbidden("The at-risk list is for administrators.")


def _latest_ids():
    """Per student reference, the id of its newest dropout record (ties broken by id)."""
    newest = (
        Record.select(Record.student_ref, peewee.fn.MAX(Record.created_at).alias("last"))
        .where((Record.task == TASK) & Record.student_ref.is_null(False))
        .group_by(Record.student_ref)
        .alias("newest")
    )
    return (
        Record.select(peewee.fn.MAX(Record.id))
        .join(
            newest,
            on=(Record.student_ref == newest.c.student_ref) & (Record.created_at == newest.c.last),
        )
        .where(Record.task == TASK)
        .group_by(Record.student_ref)
    )


def _condition(column: peewee.Field, spec: dict[str, Any]) -> peewee.Expression:
    if spec.get("conditions"):
        parts = [_condition(column, part) for part in spec["conditions"]]
        combined = parts[0]
        for part in parts[1:]:
            combined = (combined | part) if spec.get("operator") == "OR" else (combined & part)
        return combined
    kind = spec.get("type", "equals")
    if spec.get("filterType") == "number":
        if kind not in NUMBER_FILTERS:
            raise InvalidInput("Unsupported filter.", {"filter": f"Number filter {kind!r} is not supported."})
        try:
            value = float(spec["filter"])
            to = float(spec.get("filterTo", value))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput("Invalid filter.", {"filter": "A number filter needs a number."}) from exc
        return NUMBER_FILTERS[kind](column, value, to)
    if kind not in TEXT_FILTERS:
        raise InvalidInput("Unsupported filter.", {"filter": f"Text filter {kind!r} is not supported."})
    return TEXT_FILTERS[kind](column, str(spec.get("filter", "")))


def at_risk_records(viewer: User, query: AtRiskQuery):
    """Latest dropout record per student reference with probability >= threshold, filtered and sorted."""
    _require_admin(viewer)
    if not 0 <= query.threshold <= 1:
        raise InvalidInput("Invalid threshold.", {"threshold": "Use a probability between 0 and 1."})
    records = Record.with_outputs().where(Record.id.in_(_latest_ids()) & (Record.value >= query.threshold))
    for name, spec in (query.filters or {}).items():
        if name not in COLUMNS:
            raise InvalidInput("Unknown column.", {"filter": f"Cannot filter on {name!r}."})
        records = records.where(_condition(COLUMNS[name], spec))
    order = []
    for name, descending in query.sort:
        if name not in COLUMNS:
            raise InvalidInput("Unknown column.", {"sort": f"Cannot sort on {name!r}."})
        order.append(COLUMNS[name].desc() if descending else COLUMNS[name].asc())
    return records.order_by(*order, Record.id.desc())


def unreferenced_count(viewer: User, threshold: float) -> int:
    """Dropout records at or above `threshold` that name no student: the list cannot tell whose
    they are (nor whether a newer prediction replaced them), so it leaves them out and says how many."""
    _require_admin(viewer)
    return (
        Record.select()
        .where((Record.task == TASK) & Record.student_ref.is_null() & (Record.value >= threshold))
        .count()
    )


def _row(record: Record) -> dict[str, Any]:
    outputs = record.outputs or {}
    return {
        "id": record.id,
        "student_ref": record.student_ref,
        "probability": round(record.value, 4),
        "risk_level": record.level,
        "created_at": record.created_at.strftime("%Y-%m-%d %H:%M"),
        "model_version": record.model_version,
        "top_factors": " ".join(outputs.get("top_factors") or []),
    }


def at_risk_rows(viewer: User, query: AtRiskQuery, start: int, end: int) -> tuple[list[dict[str, Any]], int]:
    """Rows start..end (exclusive) of the at-risk list and how many there are in all."""
    records = at_risk_records(viewer, query)
    access_log.record(viewer, "at_risk_list", threshold=query.threshold, rows=[start, end])
    size = max(0, min(end - start, 500))
    rows = [_row(r) for r in records.offset(max(0, start)).limit(size)]
    return rows, records.count()


def export_csv(viewer: User, query: AtRiskQuery) -> str:
    """The whole at-risk list (same threshold, filters and order) as CSV text."""
    records = at_risk_records(viewer, query)
    access_log.record(viewer, "export", list="at-risk", threshold=query.threshold)
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    names = ["student_ref", "probability", "risk_level", "created_at", "model_version", "top_factors"]
    writer.writerow(names)
    for record in records.iterator():
        row = _row(record)
        writer.writerow([row[name] for name in names])
    return buffer.getvalue()


def student_history(viewer: User, student_ref: str) -> list[dict[str, Any]]:
    """A student's dropout predictions over time, oldest first (at most HISTORY_LIMIT, the newest)."""
    _require_admin(viewer)
    access_log.record(viewer, "learner_history", learner_ref=student_ref)
    records = (
        Record.select(Record.id, Record.value, Record.level, Record.created_at, Record.model_version)
        .where((Record.task == TASK) & (Record.student_ref == student_ref))
        .order_by(Record.created_at.desc(), Record.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return [
        {
            "id": r.id,
            "probability": round(r.value, 4),
            "risk_level": r.level,
            "created_at": r.created_at,
            "model_version": r.model_version,
        }
        for r in reversed(list(records))
    ]
