"""A user's saved predictions over time, and where they stand against everyone else (all in SQL)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import peewee

from db.queries import day_of
from db.tables import Record, User
from services import model_versions

# Above this many records in the window, the series is one point per day (mean, min, max).
MAX_POINTS = 400


def _window(query, date_from: date | None, date_to: date | None):
    if date_from:
        query = query.where(Record.created_at >= datetime.combine(date_from, time.min))
    if date_to:
        query = query.where(Record.created_at <= datetime.combine(date_to, time.max))
    return query


def own_records(user: User, task: str, date_from: date | None = None, date_to: date | None = None):
    """The user's own records of one task in a date window (admins included: this is personal)."""
    model_versions.check_task(task)
    return _window(Record.select().where((Record.user == user) & (Record.task == task)), date_from, date_to)


def series(
    user: User, task: str, date_from: date | None = None, date_to: date | None = None
) -> dict[str, Any]:
    """The user's saved values over time: each record, or per-day mean/min/max when there are many."""
    query = own_records(user, task, date_from, date_to)
    count = query.count()
    if count <= MAX_POINTS:
        rows = query.select(Record.id, Record.created_at, Record.value, Record.level).order_by(
            Record.created_at, Record.id
        )
        points = [
            {"when": r.created_at, "value": r.value, "level": r.level, "id": r.id, "n": 1} for r in rows
        ]
        return {"task": task, "count": count, "daily": False, "points": points}
    day = day_of(Record.created_at)
    rows = (
        query.select(
            day.alias("day"),
            peewee.fn.AVG(Record.value).alias("mean"),
            peewee.fn.MIN(Record.value).alias("low"),
            peewee.fn.MAX(Record.value).alias("high"),
            peewee.fn.COUNT(Record.id).alias("n"),
        )
        .group_by(day)
        .order_by(day)
        .dicts()
    )
    points = [
        {"when": _as_datetime(r["day"]), "value": r["mean"], "low": r["low"], "high": r["high"], "n": r["n"]}
        for r in rows
    ]
    return {"task": task, "count": count, "daily": True, "points": points}


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time.min)
    return datetime.fromisoformat(str(value)[:10])


def overview(
    user: User, task: str, date_from: date | None = None, date_to: date | None = None
) -> dict[str, Any] | None:
    """Count, mean, first and latest saved value in the window, or None when there is none."""
    query = own_records(user, task, date_from, date_to)
    stats = (
        query.select(peewee.fn.COUNT(Record.id).alias("n"), peewee.fn.AVG(Record.value).alias("mean"))
        .dicts()
        .get()
    )
    if not stats["n"]:
        return None
    ordered = query.select(Record.id, Record.value, Record.level, Record.created_at)
    first = ordered.order_by(Record.created_at, Record.id).first()
    latest = ordered.order_by(Record.created_at.desc(), Record.id.desc()).first()
    return {
        "count": stats["n"],
        "mean": stats["mean"],
        "first": {"value": first.value, "level": first.level, "when": first.created_at},
        "latest": {"id": latest.id, "value": latest.value, "level": latest.level, "when": latest.created_at},
    }


def percentile(
    user: User, task: str, date_from: date | None = None, date_to: date | None = None
) -> dict[str, Any] | None:
    """Where the user's mean saved value falls among every user's mean in the window (mid-rank, 0..100).

    None when the user has no record there. `users` counts everyone with a record in the window."""
    mine = own_records(user, task, date_from, date_to).select(peewee.fn.AVG(Record.value)).scalar()
    if mine is None:
        return None
    per_user = (
        _window(Record.select(peewee.fn.AVG(Record.value).alias("mean")), date_from, date_to)
        .where(Record.task == task)
        .group_by(Record.user)
        .alias("per_user")
    )
    tolerance = 1e-9
    below = peewee.Case(None, [(per_user.c.mean < mine - tolerance, 1)], 0)
    equal = peewee.Case(None, [(peewee.fn.ABS(per_user.c.mean - mine) <= tolerance, 1)], 0)
    row = (
        peewee.Select(
            [per_user],
            [
                peewee.fn.COUNT(peewee.SQL("*")).alias("users"),
                peewee.fn.SUM(below).alias("below"),
                peewee.fn.SUM(equal).alias("equal"),
            ],
        )
        .bind(Record._meta.database)
        .dicts()
        .get()
    )
    users = row["users"] or 0
    below_n, equal_n = int(row["below"] or 0), int(row["equal"] or 0)
    value = 100.0 * (below_n + 0.5 * equal_n) / users if users else 50.0
    return {"percentile": round(value, 1), "users": users, "mean": mine}


def recent_values(user: User, task: str, limit: int = 20) -> list[dict[str, Any]]:
    """The user's last `limit` saved values of a task, oldest first (for a sparkline)."""
    rows = (
        own_records(user, task)
        .select(Record.id, Record.created_at, Record.value, Record.level)
        .order_by(Record.created_at.desc(), Record.id.desc())
        .limit(limit)
    )
    return [{"when": r.created_at, "value": r.value, "level": r.level, "id": r.id} for r in rows][::-1]


def latest_record(user: User, task: str) -> Record | None:
    """The user's most recent saved record of a task."""
    return own_records(user, task).order_by(Record.created_at.desc(), Record.id.desc()).first()
