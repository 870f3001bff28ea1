"""The cohort profile: counts, distributions, averages by group and correlations of a cohort, from
stored predictions (SQL aggregates) or the training data (pandas); every analytics view draws from it."""

from __future__ import annotations

from typing import Any

from db.tables import User
from modelling.tasks import schema_for, task_for
from services import model_versions
from services.analytics.cohort import (
    PREDICTION,
    Cohort,
    check_source,
    group_names,
    numeric_fields,
    value_field,
)
from services.analytics.frame import FrameCohort, training_data
from services.analytics.stats import bin_edges, combine, correlation
from services.analytics.stored import StoredCohort
from services.errors import Forbidden

ANALYSIS_ROWS = 5_000  # the page's field figures cover a cohort's newest predictions


def require_admin(viewer: User) -> None:
    """Forbidden unless the viewer is an administrator."""
    if not viewer.is_admin:
        raise Forbidden("Cohort analytics are for administrators.")


def labels(task: str, source: str) -> dict[str, dict[str, str]]:
    """Label and unit of every field of a source, its outcome column included."""
    definition = task_for(task)
    schema = definition.form.schema
    found = {f.name: {"label": f.label, "unit": getattr(f, "unit", "")} for f in schema.fields}
    if source == "records":
        found[PREDICTION] = {"label": definition.value_label, "unit": definition.outcome.unit}
    else:
        found[schema.target] = {"label": definition.target_label, "unit": definition.target_unit}
    return found


def _rows(viewer: User, task: str, source: str, cohort: Cohort, newest: bool) -> StoredCohort | FrameCohort:
    require_admin(viewer)
    schema = schema_for(model_versions.check_task(task))
    fields = (numeric_fields(task, check_source(source)), [f.name for f in schema.categorical])
    if source == "training":
        return FrameCohort(training_data(task), cohort, fields)
    return StoredCohort(viewer, task, cohort, fields, ANALYSIS_ROWS if newest else None)


def cohort_correlation(viewer: User, task: str, source: str, cohort: Cohort, newest: bool = True) -> dict:
    """The profile's correlations alone (`fields`, `matrix`) and the rows they cover, computed from
    the numeric sums only."""
    rows = _rows(viewer, task, source, cohort, newest)
    numeric = list(rows.numeric)
    everyone = combine(list(rows.sums().values()), numeric)
    return {"fields": numeric, "matrix": correlation(everyone, numeric), "rows": everyone.rows}


def cohort_profile(
    viewer: User, task: str, source: str, cohort: Cohort, newest: bool = True
) -> dict[str, Any]:
    """Everything the analytics draw for a cohort: rows, groups, every field's distribution and
    averages by group, and correlations. Over stored predictions the field figures cover the cohort's
    newest ANALYSIS_ROWS predictions (every one when `newest` is False) and the group counts the
    whole cohort whenever they can be counted on indexed columns."""
    rows = _rows(viewer, task, source, cohort, newest)
    schema = schema_for(task)
    numeric, categorical = list(rows.numeric), list(rows.categorical)  # field names, in order
    by_group, bins, categories, students = rows.summary()
    everyone = combine(list(by_group.values()), numeric)
    edges = {n: bin_edges(everyone.low[n], everyone.high[n]) for n in numeric}
    cohort_rows, group_counts = rows.counts({g: s.rows for g, s in by_group.items()})
    names = group_names(task, source)
    described = labels(task, source)
    return {
        "task": task,
        "source": source,
        "rows": cohort_rows,
        "analysed": everyone.rows,
        "students": students,
        "groups": [{"name": g, "count": int(group_counts.get(g, 0))} for g in names],
        "value": value_field(task, source),
        "numeric": [
            {
                "name": n,
                **described[n],
                "edges": edges[n],
                "counts": {g: bins.get(n, {}).get(g, [0] * (len(edges[n]) - 1)) for g in names},
                "mean": {g: by_group[g].mean(n) if g in by_group else None for g in names},
                "overall": everyone.mean(n),
            }
            for n in numeric
        ],
        "category": [_category(schema.field(n), described[n], categories[n], names) for n in categorical],
        "correlation": {
            "fields": numeric,
            "labels": [described[n]["label"] for n in numeric],
            "matrix": correlation(everyone, numeric),
        },
    }


def _category(field: Any, described: dict, seen: dict[str, dict[str, int]], names: list[str]) -> dict:
    present = {value for counts in seen.values() for value in counts}
    values = [v for v in (*field.categories, "missing") if v in present]
    return {
        "name": field.name,
        **described,
        "values": values,
        "counts": {g: {v: seen.get(g, {}).get(v, 0) for v in values} for g in names},
    }
