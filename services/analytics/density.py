"""The density of a cohort over two numeric fields (the scatter behind a cell of the correlations)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from db.models import User
from modelling.schemas import schema_for
from services import models
from services.analytics import profile
from services.analytics.cohort import Cohort, check_source, numeric_fields, record_column
from services.analytics.frame import FrameCohort
from services.analytics.stats import bin_edges, bin_index
from services.analytics.stored import cohort_window
from services.errors import InvalidInput

GRID = 25  # cells per axis


def pair_density(viewer: User, task: str, source: str, cohort: Cohort, x: str, y: str) -> dict[str, Any]:
    """Counts and centres of the cohort on a grid over two numeric fields (the analysed rows: the
    newest ANALYSIS_ROWS stored predictions, or every training row)."""
    profile.require_admin(viewer)
    schema_for(models.check_task(task))
    numeric = numeric_fields(task, check_source(source))
    if x not in numeric or y not in numeric:
        raise InvalidInput("Pick two numeric fields.", {"pair": f"Use two of: {', '.join(numeric)}."})
    if source == "training":
        frame = FrameCohort(task, cohort).frame
        points = pd.DataFrame({"x": frame[x], "y": frame[y]}).astype(float)
    else:
        columns = {"x": record_column(x), "y": record_column(y)}
        window = cohort_window(viewer, task, cohort, columns, profile.ANALYSIS_ROWS)
        points = pd.DataFrame(list(window.select_from(window.c.x, window.c.y).tuples()), columns=["x", "y"])
    points = points.dropna().astype(float)
    described = profile.labels(task, source)
    return {
        "x": {"name": x, **described[x]},
        "y": {"name": y, **described[y]},
        "points": _cells(points),
        "analysed": len(points),
    }


def _cells(points: pd.DataFrame) -> list[dict[str, float]]:
    if points.empty:
        return []
    for axis in ("x", "y"):
        edges = bin_edges(points[axis].min(), points[axis].max(), GRID)
        points[f"b{axis}"] = bin_index(points[axis].to_numpy(), edges)
    grouped = points.groupby(["bx", "by"]).agg(x=("x", "mean"), y=("y", "mean"), count=("x", "size"))
    return [
        {"x": float(r.x), "y": float(r.y), "count": int(r.count)} for r in grouped.itertuples(index=False)
    ]
