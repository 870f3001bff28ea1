"""Cohort analytics over stored predictions (aggregated in SQL) or the active model's training data."""

from __future__ import annotations

import math
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import peewee

from db.models import ModelVersion, Record, User, utcnow
from db.queries import day_of, json_number, json_text
from modelling.data import load_bundled, load_labelled
from modelling.levels import level_for, level_names
from modelling.schemas import NumericField, schema_for
from services import models
from services.errors import InvalidInput
from services.predictions import bands_for
from services.records import RecordFilters, visible_records

HISTOGRAM_BINS = 20


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
    exam = _records(viewer, "exam-score", filters).select(peewee.fn.AVG(Record.value)).scalar()
    dropout = _records(viewer, "dropout", filters)
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
            for task in ("exam-score", "dropout")
            for r in [ModelVersion.active(task)]
        },
    }


def levels(viewer: User, task: str, filters: RecordFilters) -> dict[str, Any]:
    """Counts per level (or risk level) and per day, from stored predictions."""
    models.check_task(task)
    query = _records(viewer, task, filters)
    counts = {
        r["level"]: r["n"]
        for r in query.select(Record.level, peewee.fn.COUNT(Record.id).alias("n"))
        .group_by(Record.level)
        .dicts()
    }
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
    names = level_names(bands_for(task))
    return {"levels": [{"level": n, "count": counts.get(n, 0)} for n in names], "per_day": per_day}


def _numeric_summary(f: NumericField, histogram: list[dict[str, Any]], by_level: dict[str, float]) -> dict:
    return {"kind": "numeric", "label": f.label, "histogram": histogram, "mean_by_level": by_level}


def _category_summary(f: Any, counts: dict[str, dict[str, int]]) -> dict:
    return {"kind": "category", "label": f.label, "counts_by_level": counts}


@lru_cache(maxsize=4)
def _training_frame(task: str, data_source: str) -> pd.DataFrame:
    path = Path(data_source)
    return load_labelled(task, path).frame if path.is_file() else load_bundled(task).frame


def _training_data(task: str) -> pd.DataFrame:
    """The active version's training rows with a group column: level band (exam) or outcome (dropout)."""
    row = ModelVersion.active(task)
    if row is None:
        raise InvalidInput(f"No active {task} model, so no training data to describe.")
    frame = _training_frame(task, row.data_source).copy()
    target = schema_for(task).target
    if task == "dropout":
        frame["level"] = np.where(frame[target] == 1, "Dropped out", "Stayed")
    else:
        frame["level"] = [level_for(v, bands_for(task)) for v in frame[target]]
    return frame


def features(viewer: User, task: str, source: str, filters: RecordFilters) -> dict[str, Any]:
    """Per field: distribution, and averages (numbers) or shares (categories) by level group."""
    schema = schema_for(models.check_task(task))
    if source == "training":
        return _features_from_frame(schema, _training_data(task))
    query = _records(viewer, task, filters)
    result: dict[str, Any] = {}
    for f in schema.fields:
        if isinstance(f, NumericField):
            value = json_number(Record.inputs, f.name)
            bounds = (
                query.select(peewee.fn.MIN(value).alias("lo"), peewee.fn.MAX(value).alias("hi")).dicts().get()
            )
            lo, hi = bounds["lo"], bounds["hi"]
            histogram: list[dict[str, Any]] = []
            if lo is not None:
                width = (hi - lo) / HISTOGRAM_BINS or 1.0
                bucket = peewee.Case(
                    None, [(value >= hi, HISTOGRAM_BINS - 1)], peewee.fn.FLOOR((value - lo) / width)
                )
                histogram = [
                    {"from": lo + int(r["b"]) * width, "to": lo + (int(r["b"]) + 1) * width, "count": r["n"]}
                    for r in query.select(bucket.alias("b"), peewee.fn.COUNT(Record.id).alias("n"))
                    .group_by(bucket)
                    .order_by(bucket)
                    .dicts()
                ]
            by_level = {
                r["level"]: round(r["mean"], 4)
                for r in query.select(Record.level, peewee.fn.AVG(value).alias("mean"))
                .group_by(Record.level)
                .dicts()
                if r["mean"] is not None
            }
            result[f.name] = _numeric_summary(f, histogram, by_level)
        else:
            value = json_text(Record.inputs, f.name)
            counts: dict[str, dict[str, int]] = {}
            for r in (
                query.select(Record.level, value.alias("v"), peewee.fn.COUNT(Record.id).alias("n"))
                .group_by(Record.level, value)
                .dicts()
            ):
                counts.setdefault(r["v"] or "missing", {})[r["level"]] = r["n"]
            result[f.name] = _category_summary(f, counts)
    return result


def _features_from_frame(schema, frame: pd.DataFrame) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for f in schema.fields:
        column = frame[f.name]
        if isinstance(f, NumericField):
            counts, edges = np.histogram(column.dropna(), bins=HISTOGRAM_BINS)
            histogram = [
                {"from": float(edges[i]), "to": float(edges[i + 1]), "count": int(c)}
                for i, c in enumerate(counts)
                if c
            ]
            by_level = {k: round(float(v), 4) for k, v in frame.groupby("level")[f.name].mean().items()}
            result[f.name] = _numeric_summary(f, histogram, by_level)
        else:
            table = frame.assign(v=column.fillna("missing")).groupby(["v", "level"]).size()
            counts: dict[str, dict[str, int]] = {}
            for (value, level), n in table.items():
                counts.setdefault(value, {})[level] = int(n)
            result[f.name] = _category_summary(f, counts)
    return result


def correlations(viewer: User, task: str, source: str, filters: RecordFilters) -> dict[str, Any]:
    """Pearson correlations between the numeric fields (and the prediction), from SQL sums."""
    schema = schema_for(models.check_task(task))
    names = [f.name for f in schema.numeric] + ["prediction"]
    if source == "training":
        frame = _training_data(task)
        data = frame[[f.name for f in schema.numeric] + [schema.target]].astype(float)
        matrix = np.nan_to_num(data.corr().to_numpy()).round(4)
        names[-1] = schema.target
        return {"fields": names, "matrix": matrix.tolist(), "rows": len(frame)}
    columns = [json_number(Record.inputs, f.name) for f in schema.numeric] + [Record.value]
    selects = [peewee.fn.COUNT(Record.id).alias("n")]
    for i, a in enumerate(columns):
        selects += [peewee.fn.SUM(a).alias(f"s{i}"), peewee.fn.SUM(a * a).alias(f"q{i}")]
        selects += [peewee.fn.SUM(a * b).alias(f"p{i}_{j}") for j, b in enumerate(columns) if j > i]
    sums = _records(viewer, task, filters).select(*selects).dicts().get()
    n = sums["n"] or 0
    size = len(columns)
    matrix = np.eye(size)
    if n > 1:
        for i in range(size):
            for j in range(i + 1, size):
                si, sj = sums[f"s{i}"] or 0.0, sums[f"s{j}"] or 0.0
                cov = (sums[f"p{i}_{j}"] or 0.0) - si * sj / n
                vi = (sums[f"q{i}"] or 0.0) - si * si / n
                vj = (sums[f"q{j}"] or 0.0) - sj * sj / n
                r = cov / math.sqrt(vi * vj) if vi > 1e-12 and vj > 1e-12 else 0.0
                matrix[i, j] = matrix[j, i] = round(r, 4)
    return {"fields": names, "matrix": matrix.tolist(), "rows": n}
