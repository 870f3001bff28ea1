"""The API's views of stored predictions: summary and levels, and features and correlations drawn
from the cohort profile (over every row of the cohort, not the page's newest ones)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import peewee

from db.queries import day_of
from db.tables import ModelVersion, Record, User, utcnow
from modelling.schemas import NumericField
from modelling.tasks import DROPOUT, EXAM, TASK_NAMES, schema_for
from services import model_versions
from services.analytics.cohort import api_cohort, check_source, group_names, indexed_records
from services.analytics.profile import cohort_correlation, cohort_profile
from services.records import RecordFilters, visible_records


def _records(viewer: User, task: str, filters: RecordFilters):
    return visible_records(viewer, RecordFilters(**{**filters.__dict__, "task": task}))


def summary(viewer: User, filters: RecordFilters) -> dict[str, Any]:
    """KPIs over stored predictions: counts, students, this week, high-risk share, average score."""
    query = visible_records(viewer, filters)
    week_ago = utcnow() - timedelta(days=7)
    row = (
        query.select(
            peewee.fn.COUNT(Record.id).alias("predictions"),
            peewee.fn.COUNT(Record.student_ref.distinct()).alias("students"),
            peewee.fn.COUNT(Record.user.distinct()).alias("users"),
            peewee.fn.SUM(peewee.Case(None, [(Record.created_at >= week_ago, 1)], 0)).alias("this_week"),
        )
        .dicts()
        .get()
    )
    exam = _records(viewer, EXAM.name, filters).select(peewee.fn.AVG(Record.value)).scalar()
    dropout = _records(viewer, DROPOUT.name, filters)
    dropout_total = dropout.count()
    high = dropout.where(Record.level == "High").count()
    return {
        "predictions": row["predictions"] or 0,
        "students": row["students"] or 0,
        "users": row["users"] or 0,
        "predictions_this_week": int(row["this_week"] or 0),
        "average_exam_score": round(exam, 2) if exam is not None else None,
        "high_risk_share": round(high / dropout_total, 4) if dropout_total else None,
        "active_models": {
            task: ({"version": r.version, "algorithm": r.algorithm, "metrics": r.metrics} if r else None)
            for task in TASK_NAMES
            for r in [ModelVersion.active(task)]
        },
    }


def levels(viewer: User, task: str, filters: RecordFilters) -> dict[str, Any]:
    """Counts per level (or risk level) and per day, from stored predictions."""
    model_versions.check_task(task)
    query = indexed_records(viewer, task, api_cohort("records", filters))
    counts = dict(query.select(Record.level, peewee.fn.COUNT(Record.id)).group_by(Record.level).tuples())
    day = day_of(Record.created_at)
    per_day = [
        {"day": str(r["day"])[:10], "count": r["n"], "mean": round(r["mean"], 4)}
        for r in query.select(
            day.alias("day"), peewee.fn.COUNT(Record.id).alias("n"), peewee.fn.AVG(Record.value).alias("mean")
        )
        .group_by(day)
        .order_by(day)
        .dicts()
    ]
    names = group_names(task, "records")
    return {"levels": [{"level": n, "count": counts.get(n, 0)} for n in names], "per_day": per_day}


def features(viewer: User, task: str, source: str, filters: RecordFilters) -> dict[str, Any]:
    """Per field: distribution, and averages (numbers) or shares (categories) by level group."""
    profile = cohort_profile(viewer, task, check_source(source), api_cohort(source, filters), newest=False)
    numeric = {item["name"]: item for item in profile["numeric"]}
    category = {item["name"]: item for item in profile["category"]}
    result: dict[str, Any] = {}
    for f in schema_for(task).fields:
        if isinstance(f, NumericField):
            result[f.name] = _numeric_view(numeric[f.name])
        else:
            result[f.name] = _category_view(category[f.name])
    return result


def _numeric_view(item: dict[str, Any]) -> dict[str, Any]:
    edges = item["edges"]
    totals = [sum(counts[b] for counts in item["counts"].values()) for b in range(len(edges) - 1)]
    return {
        "kind": "numeric",
        "label": item["label"],
        "histogram": [{"from": edges[b], "to": edges[b + 1], "count": n} for b, n in enumerate(totals) if n],
        "mean_by_level": {g: mean for g, mean in item["mean"].items() if mean is not None},
    }


def _category_view(item: dict[str, Any]) -> dict[str, Any]:
    counts = {
        value: {g: counts[value] for g, counts in item["counts"].items() if counts[value]}
        for value in item["values"]
    }
    return {"kind": "category", "label": item["label"], "counts_by_level": counts}


def correlations(viewer: User, task: str, source: str, filters: RecordFilters) -> dict[str, Any]:
    """Pearson correlations between the numeric fields and the prediction (or the training target)."""
    return cohort_correlation(viewer, task, check_source(source), api_cohort(source, filters), newest=False)
