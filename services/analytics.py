"""Cohort analytics over stored predictions (aggregated in SQL) or the active model's training data."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import peewee

from db.connection import database
from db.models import ModelVersion, Record, User, utcnow
from db.queries import day_of, is_postgres, json_number, json_text
from modelling.data import load_bundled, load_labelled
from modelling.levels import level_names
from modelling.schemas import NumericField, schema_for
from modelling.tasks import DROPOUT, EXAM, TASK_NAMES, task_for
from services import models
from services.errors import Forbidden, InvalidInput
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
    definition = task_for(task)
    frame["level"] = definition.actual_groups(frame[definition.schema.target].to_numpy(), bands_for(task))
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


# Cohort analytics for the dashboard: one profile of a filtered cohort, every chart drawn from it.

ANALYSIS_ROWS = 5_000
WINDOW_TABLE = "analytics_window"
PROFILE_BINS = HISTOGRAM_BINS
SCATTER_BINS = 25
PREDICTION = "prediction"


@dataclass(frozen=True)
class Cohort:
    """Filters applied to every chart at once: groups, category values, numeric ranges and dates."""

    groups: tuple[str, ...] = ()
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ranges: tuple[tuple[str, float, float], ...] = ()
    date_from: date | None = None
    date_to: date | None = None


def value_field(task: str, source: str) -> str:
    """The outcome column of a source: the stored prediction, or the training target."""
    return PREDICTION if source == "records" else schema_for(task).target


def group_names(task: str, source: str) -> list[str]:
    """The groups rows fall into: predicted levels (records) or actual outcomes (training data)."""
    if source == "training":
        return task_for(task).actual_group_names(bands_for(task))
    return level_names(bands_for(task))


def _check_source(source: str) -> str:
    if source not in ("records", "training"):
        raise InvalidInput("Unknown data source.", {"source": "Use 'records' or 'training'."})
    return source


def make_cohort(task: str, source: str, raw: Mapping[str, Any]) -> Cohort:
    """A Cohort from plain values (as the dashboard holds them), checking every field name."""
    schema = schema_for(models.check_task(task))
    numeric = {f.name for f in schema.numeric} | {value_field(task, _check_source(source))}
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


def _as_date(value: Any) -> date | None:
    if not value:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise InvalidInput("Invalid date.", {"date": f"{value!r} is not a date (YYYY-MM-DD)."}) from exc


def cohort_records(viewer: User, task: str, cohort: Cohort):
    """Stored predictions of `task` in the cohort (JSON input fields filtered in SQL)."""
    query = visible_records(
        viewer, RecordFilters(task=task, date_from=cohort.date_from, date_to=cohort.date_to)
    )
    if cohort.groups:
        query = query.where(Record.level.in_(list(cohort.groups)))
    for name, values in cohort.categories:
        expression = json_text(Record.inputs, name)
        present = [v for v in values if v != "missing"]
        condition = expression.in_(present) if present else None
        if "missing" in values:
            condition = expression.is_null() if condition is None else (condition | expression.is_null())
        query = query.where(condition if condition is not None else peewee.SQL("1 = 0"))
    for name, low, high in cohort.ranges:
        expression = Record.value if name == PREDICTION else json_number(Record.inputs, name)
        query = query.where(expression.between(low, high))
    return query


def _require_admin(viewer: User) -> None:
    if not viewer.is_admin:
        raise Forbidden("Cohort analytics are for administrators.")


def _labels(task: str, source: str) -> dict[str, dict[str, str]]:
    definition = task_for(task)
    schema = definition.schema
    labels = {f.name: {"label": f.label, "unit": getattr(f, "unit", "")} for f in schema.fields}
    if source == "records":
        labels[PREDICTION] = {"label": definition.value_label, "unit": definition.outcome.unit}
    else:
        labels[schema.target] = {"label": definition.target_label, "unit": definition.target_unit}
    return labels


def cohort_profile(viewer: User, task: str, source: str, cohort: Cohort) -> dict[str, Any]:
    """Everything the analytics page draws for a cohort: KPIs, groups, every field's distribution and
    averages by group, and correlations. Over stored predictions the group counts cover the whole
    cohort; the field figures cover its newest ANALYSIS_ROWS predictions; all of it computed in SQL."""
    _require_admin(viewer)
    schema = schema_for(models.check_task(task))
    _check_source(source)
    numeric = [f.name for f in schema.numeric] + [value_field(task, source)]
    categorical = [f.name for f in schema.categorical]
    if source == "training":
        active = ModelVersion.active(task)
        key = (active.id, active.data_source) if active else None
        stats = _training_stats(task, key, cohort, tuple(numeric), tuple(categorical))
    else:
        stats = _sql_stats(viewer, task, cohort, numeric, categorical)
    names = group_names(task, source)
    labels = _labels(task, source)
    profile = {
        "task": task,
        "source": source,
        "rows": stats["rows"],
        "analysed": stats["analysed"],
        "students": stats.get("students"),
        "groups": [{"name": g, "count": int(stats["group_counts"].get(g, 0))} for g in names],
        "value": value_field(task, source),
        "numeric": [],
        "category": [],
    }
    for name in numeric:
        hist = stats["histograms"][name]
        profile["numeric"].append(
            {
                "name": name,
                **labels[name],
                "edges": hist["edges"],
                "counts": {g: hist["counts"].get(g, [0] * PROFILE_BINS) for g in names},
                "mean": {g: stats["means"][name].get(g) for g in names},
                "overall": stats["overall"][name],
            }
        )
    for name in categorical:
        f = schema.field(name)
        seen = stats["categories"][name]
        values = [v for v in (*f.categories, "missing") if v in {k for c in seen.values() for k in c}]
        profile["category"].append(
            {
                "name": name,
                **labels[name],
                "values": values,
                "counts": {g: {v: seen.get(g, {}).get(v, 0) for v in values} for g in names},
            }
        )
    profile["correlation"] = {
        "fields": numeric,
        "labels": [labels[n]["label"] for n in numeric],
        "matrix": stats["correlation"],
    }
    return profile


@lru_cache(maxsize=32)
def _training_stats(task: str, _version: Any, cohort: Cohort, numeric: tuple, categorical: tuple) -> dict:
    """Statistics of the active version's training rows in a cohort (cached per version and cohort)."""
    frame = _filter_frame(_training_data(task), cohort)
    return _frame_stats(frame, list(numeric), list(categorical), numeric[-1])


def _filter_frame(frame: pd.DataFrame, cohort: Cohort) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    if cohort.groups:
        mask &= frame["level"].isin(cohort.groups).to_numpy()
    for name, values in cohort.categories:
        mask &= frame[name].fillna("missing").isin(values).to_numpy()
    for name, low, high in cohort.ranges:
        mask &= frame[name].between(low, high).to_numpy()
    return frame[mask]


def _edges(low: float | None, high: float | None) -> list[float]:
    if low is None or high is None:
        return []
    width = (high - low) / PROFILE_BINS if high > low else 1.0 / PROFILE_BINS
    return [low + i * width for i in range(PROFILE_BINS + 1)]


def _correlation(n: float, sums: dict[str, float], squares: dict[str, float], products, names) -> list:
    size = len(names)
    matrix = np.eye(size)
    if n > 1:
        for i in range(size):
            for j in range(i + 1, size):
                a, b = names[i], names[j]
                cov = products[(a, b)] - sums[a] * sums[b] / n
                va, vb = squares[a] - sums[a] ** 2 / n, squares[b] - sums[b] ** 2 / n
                r = cov / math.sqrt(va * vb) if va > 1e-9 and vb > 1e-9 else 0.0
                matrix[i, j] = matrix[j, i] = round(max(-1.0, min(1.0, r)), 4)
    return matrix.tolist()


def _frame_stats(frame: pd.DataFrame, numeric: list[str], categorical: list[str], value: str) -> dict:
    stats: dict[str, Any] = {"rows": len(frame), "analysed": len(frame), "histograms": {}, "means": {}}
    stats["group_counts"] = frame["level"].value_counts().to_dict()
    stats["overall"] = {}
    for name in numeric:
        column = frame[name].astype(float)
        edges = _edges(column.min(), column.max()) if len(column) else []
        counts: dict[str, list[int]] = {}
        if edges:
            for group, part in frame.groupby("level"):
                counts[str(group)] = np.histogram(part[name].astype(float), bins=edges)[0].tolist()
        stats["histograms"][name] = {"edges": edges, "counts": counts}
        stats["means"][name] = {
            str(k): round(float(v), 4) for k, v in frame.groupby("level")[name].mean().items()
        }
        stats["overall"][name] = round(float(column.mean()), 4) if len(column) else None
    stats["categories"] = {}
    for name in categorical:
        table = frame.assign(v=frame[name].fillna("missing")).groupby(["level", "v"]).size()
        found: dict[str, dict[str, int]] = {}
        for (group, v), n in table.items():
            found.setdefault(str(group), {})[str(v)] = int(n)
        stats["categories"][name] = found
    data = frame[numeric].astype(float)
    sums = {n: float(data[n].sum()) for n in numeric}
    squares = {n: float((data[n] ** 2).sum()) for n in numeric}
    products = {
        (a, b): float((data[a] * data[b]).sum()) for i, a in enumerate(numeric) for b in numeric[i + 1 :]
    }
    stats["correlation"] = _correlation(len(frame), sums, squares, products, numeric)
    return stats


def _window_sql(viewer: User, task: str, cohort: Cohort, numeric: list[str], categorical: list[str]):
    """SQL (and parameters) of the cohort's newest ANALYSIS_ROWS predictions, one column per field.

    Each row's JSON inputs are parsed once (PostgreSQL: one jsonb cast, then field lookups)."""
    postgres = is_postgres()
    document = peewee.SQL("CAST(inputs AS jsonb)") if postgres else Record.inputs
    inner = (
        cohort_records(viewer, task, cohort)
        .select(
            Record.level.alias("g"),
            Record.student_ref.alias("s"),
            Record.value.alias("c0"),
            document.alias("j"),
        )
        .order_by(Record.created_at.desc(), Record.id.desc())
        .limit(ANALYSIS_ROWS)
    )
    sql, params = inner.sql()
    inputs = [n for n in numeric if n != PREDICTION]
    if postgres:
        number, text = "CAST(j ->> '{0}' AS DOUBLE PRECISION)", "(j ->> '{0}')"
    else:
        number, text = "json_extract(j, '$.{0}')", "json_extract(j, '$.{0}')"
    columns = ["g", "s", "c0"]
    columns += [f"{number.format(n)} AS c{i + 1}" for i, n in enumerate(inputs)]
    columns += [f"{text.format(n)} AS t{i}" for i, n in enumerate(categorical)]
    aliases = {PREDICTION: "c0"} | {n: f"c{i + 1}" for i, n in enumerate(inputs)}
    return (f"SELECT {', '.join(columns)} FROM ({sql}) AS r", params), aliases


COUNT_CACHE_SECONDS = 60
COUNT_CACHE_ENTRIES = 256  # cohorts (task and date range) remembered; the oldest go first
_group_count_cache: dict[tuple, tuple] = {}


def _indexed_group_counts(viewer: User, task: str, cohort: Cohort) -> dict[str, int]:
    """Exact rows per level for cohorts filtered only on indexed columns (groups, dates): one index
    range count per level, kept for a minute while no prediction is added."""
    key = (task, cohort.date_from, cohort.date_to)
    newest = (
        Record.select(peewee.fn.MAX(Record.id)).scalar(),
        Record.select(peewee.fn.MAX(Record.created_at)).where(Record.task == task).scalar(),
    )
    cached = _group_count_cache.get(key)
    if cached and cached[0] == newest and time.monotonic() - cached[1] < COUNT_CACHE_SECONDS:
        counts = cached[2]
    else:
        base = visible_records(
            viewer, RecordFilters(task=task, date_from=cohort.date_from, date_to=cohort.date_to)
        )
        counts = {name: base.where(Record.level == name).count() for name in group_names(task, "records")}
        _group_count_cache.pop(key, None)
        while len(_group_count_cache) >= COUNT_CACHE_ENTRIES:
            _group_count_cache.pop(next(iter(_group_count_cache)))
        _group_count_cache[key] = (newest, time.monotonic(), counts)
    return {g: n for g, n in counts.items() if not cohort.groups or g in cohort.groups}


def _sql_stats(viewer: User, task: str, cohort: Cohort, numeric: list[str], categorical: list[str]) -> dict:
    (sql, params), aliases = _window_sql(viewer, task, cohort, numeric, categorical)
    columns = [aliases[n] for n in numeric]
    moments = ["g", "COUNT(*) AS n"]
    for c in columns:
        moments += [
            f"SUM({c}) AS s_{c}",
            f"SUM({c} * {c}) AS q_{c}",
            f"MIN({c}) AS lo_{c}",
            f"MAX({c}) AS hi_{c}",
        ]
    moments += [f"SUM({a} * {b}) AS p_{a}_{b}" for i, a in enumerate(columns) for b in columns[i + 1 :]]
    with database.atomic():
        if is_postgres():
            # The newest rows come from walking the created_at index; filters on JSON fields have no
            # selectivity estimate, and a full scan parsing every document would be far slower.
            database.execute_sql("SET LOCAL enable_seqscan = off")
            database.execute_sql("SET LOCAL enable_bitmapscan = off")
            # The window table has no statistics; JIT-compiling the wide aggregates costs seconds.
            database.execute_sql("SET LOCAL jit = off")
            database.execute_sql("SET LOCAL max_parallel_workers_per_gather = 0")
        database.execute_sql(f"CREATE TEMPORARY TABLE {WINDOW_TABLE} AS {sql}", params)
        try:
            moment_rows = _fetch(f"SELECT {', '.join(moments)} FROM {WINDOW_TABLE} GROUP BY g", ())
            stats = _window_distributions(moment_rows, aliases, numeric, categorical)
        finally:
            database.execute_sql(f"DROP TABLE IF EXISTS {WINDOW_TABLE}")
    analysed = stats["analysed"]
    window_counts = {r["g"]: r["n"] for r in moment_rows}
    if analysed < ANALYSIS_ROWS:
        stats["rows"], stats["group_counts"] = analysed, window_counts
    elif cohort.categories or cohort.ranges:
        stats["rows"], stats["group_counts"] = None, window_counts
    else:
        stats["group_counts"] = _indexed_group_counts(viewer, task, cohort)
        stats["rows"] = sum(stats["group_counts"].values())
    return stats


def _window_distributions(moment_rows: list[dict], aliases: dict, numeric: list[str], categorical: list[str]):
    """Histograms, category counts, means and correlations of the window table, from its moments."""
    columns = [aliases[n] for n in numeric]
    analysed = sum(r["n"] for r in moment_rows)
    stats: dict[str, Any] = {"analysed": analysed}
    bounds = {
        c: (
            min((r[f"lo_{c}"] for r in moment_rows if r[f"lo_{c}"] is not None), default=None),
            max((r[f"hi_{c}"] for r in moment_rows if r[f"hi_{c}"] is not None), default=None),
        )
        for c in columns
    }
    edges = {n: _edges(*bounds[aliases[n]]) for n in numeric}
    parts = [f"SELECT 'students' AS f, NULL AS g, NULL AS k, COUNT(DISTINCT s) AS n FROM {WINDOW_TABLE}"]
    for n in numeric:
        if not edges[n]:
            continue
        c, low = aliases[n], edges[n][0]
        width = edges[n][1] - edges[n][0]
        bucket = (
            f"CASE WHEN {c} >= {edges[n][-1]!r} THEN {PROFILE_BINS - 1} "
            f"ELSE CAST(({c} - {low!r}) / {width!r} AS INTEGER) END"
        )
        parts.append(
            f"SELECT '{c}' AS f, g, CAST({bucket} AS TEXT) AS k, COUNT(*) AS n FROM {WINDOW_TABLE} "
            f"GROUP BY g, {bucket}"
        )
    for i, _name in enumerate(categorical):
        parts.append(f"SELECT 't{i}' AS f, g, t{i} AS k, COUNT(*) AS n FROM {WINDOW_TABLE} GROUP BY g, t{i}")
    histograms = {n: {"edges": edges[n], "counts": {}} for n in numeric}
    by_alias = {c: n for n, c in aliases.items()}
    stats["categories"] = {n: {} for n in categorical}
    for row in _fetch(" UNION ALL ".join(parts), ()):
        key, group = row["f"], row["g"]
        if key == "students":
            stats["students"] = row["n"]
        elif key.startswith("c") and row["k"] is not None:
            counts = histograms[by_alias[key]]["counts"].setdefault(group, [0] * PROFILE_BINS)
            counts[min(int(float(row["k"])), PROFILE_BINS - 1)] += row["n"]
        else:
            found = stats["categories"][categorical[int(key[1:])]].setdefault(group, {})
            found[row["k"] or "missing"] = found.get(row["k"] or "missing", 0) + row["n"]
    stats["histograms"] = histograms
    stats["means"] = {
        n: {
            r["g"]: round(r[f"s_{aliases[n]}"] / r["n"], 4)
            for r in moment_rows
            if r[f"s_{aliases[n]}"] is not None
        }
        for n in numeric
    }
    total = {f"s_{c}": sum(r[f"s_{c}"] or 0.0 for r in moment_rows) for c in columns}
    stats["overall"] = {
        n: round(total[f"s_{aliases[n]}"] / analysed, 4) if analysed else None for n in numeric
    }
    sums = {n: total[f"s_{aliases[n]}"] for n in numeric}
    squares = {n: sum(r[f"q_{aliases[n]}"] or 0.0 for r in moment_rows) for n in numeric}
    products = {
        (a, b): sum(r[f"p_{aliases[a]}_{aliases[b]}"] or 0.0 for r in moment_rows)
        for i, a in enumerate(numeric)
        for b in numeric[i + 1 :]
    }
    stats["correlation"] = _correlation(analysed, sums, squares, products, numeric)
    return stats


def _fetch(sql: str, params: Any) -> list[dict[str, Any]]:
    cursor = database.execute_sql(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def pair_density(viewer: User, task: str, source: str, cohort: Cohort, x: str, y: str) -> dict[str, Any]:
    """Counts of the cohort on a grid over two numeric fields (the scatter of a heatmap cell)."""
    _require_admin(viewer)
    schema = schema_for(models.check_task(task))
    numeric = [f.name for f in schema.numeric] + [value_field(task, _check_source(source))]
    if x not in numeric or y not in numeric:
        raise InvalidInput("Pick two numeric fields.", {"pair": f"Use two of: {', '.join(numeric)}."})
    labels = _labels(task, source)
    if source == "training":
        frame = _filter_frame(_training_data(task), cohort)
        points = _frame_density(frame[x].astype(float), frame[y].astype(float))
        analysed = len(frame)
    else:
        (sql, params), aliases = _window_sql(viewer, task, cohort, numeric, [])
        cx, cy = aliases[x], aliases[y]
        window = f"WITH w AS ({sql}), b AS (SELECT MIN({cx}) AS x0, MAX({cx}) AS x1, "
        window += f"MIN({cy}) AS y0, MAX({cy}) AS y1, COUNT(*) AS n FROM w)"
        bx = _grid_cell(cx, "x0", "x1")
        by = _grid_cell(cy, "y0", "y1")
        rows = _fetch(
            f"{window} SELECT {bx} AS gx, {by} AS gy, COUNT(*) AS n, AVG({cx}) AS mx, AVG({cy}) AS my, "
            f"MIN(b.n) AS total FROM w CROSS JOIN b GROUP BY {bx}, {by}",
            params,
        )
        points = [{"x": r["mx"], "y": r["my"], "count": r["n"]} for r in rows]
        analysed = rows[0]["total"] if rows else 0
    return {
        "x": {"name": x, **labels[x]},
        "y": {"name": y, **labels[y]},
        "points": points,
        "analysed": analysed,
    }


def _grid_cell(column: str, low: str, high: str) -> str:
    return (
        f"CASE WHEN b.{high} <= b.{low} THEN 0 WHEN {column} >= b.{high} THEN {SCATTER_BINS - 1} "
        f"ELSE CAST(({column} - b.{low}) * {SCATTER_BINS} / (b.{high} - b.{low}) AS INTEGER) END"
    )


def _frame_density(x: pd.Series, y: pd.Series) -> list[dict[str, float]]:
    if x.empty:
        return []
    frame = pd.DataFrame({"x": x, "y": y})
    for axis in ("x", "y"):
        low, high = frame[axis].min(), frame[axis].max()
        span = high - low
        cell = ((frame[axis] - low) * SCATTER_BINS / span).astype(int) if span > 0 else 0
        frame[f"b{axis}"] = np.minimum(cell, SCATTER_BINS - 1)
    grouped = frame.groupby(["bx", "by"]).agg(x=("x", "mean"), y=("y", "mean"), count=("x", "size"))
    return [
        {"x": float(r.x), "y": float(r.y), "count": int(r.count)} for r in grouped.itertuples(index=False)
    ]
