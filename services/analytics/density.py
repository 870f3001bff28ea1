"""The density of a cohort over two numeric fields (the scatter behind a cell of the correlations)."""

from __future__ import annotations

from typing import Any

import numpy as np

import services.analytics.profile as profile
from db.tables import User
from services import model_versions
from services.analytics.cohort import Cohort, check_source, filter_frame, numeric_fields, record_column
from services.analytics.frame import training_data
from services.analytics.stats import bin_edges, bin_index
from services.analytics.stored import cohort_window
from services.errors import InvalidInput

GRID = 25  # cells per axis


def pair_density(viewer: User, task: str, source: str, cohort: Cohort, x: str, y: str) -> dict[str, Any]:
    """Counts and centres of the cohort on a grid over two numeric fields (the analysed rows: the
    newest ANALYSIS_ROWS stored predictions, or every training row)."""
    profile.require_admin(viewer)
    numeric = numeric_fields(model_versions.check_task(task), check_source(source))
    if x not in numeric or y not in numeric:
        raise InvalidInput("Pick two numeric fields.", {"pair": f"Use two of: {', '.join(numeric)}."})
    if source == "training":
        points = filter_frame(training_data(task), cohort)[[x, y]].to_numpy(dtype=float)
    else:
        columns = {"x": record_column(x), "y": record_column(y)}
        window = cohort_window(viewer, task, cohort, columns, profile.ANALYSIS_ROWS)
        points = np.array(list(window.select_from(window.c.x, window.c.y).tuples()), dtype=float)
    points = points.reshape(-1, 2)
    points = points[~np.isnan(points).any(axis=1)]
    described = profile.labels(task, source)
    return {
        "x": {"name": x, **described[x]},
        "y": {"name": y, **described[y]},
        "points": _cells(points),
        "analysed": len(points),
    }


def _cells(points: np.ndarray) -> list[dict[str, float]]:
    """The occupied cells of a GRID x GRID grid over the points: their count and centre of mass."""
    if not len(points):
        return []
    x, y = points[:, 0], points[:, 1]
    across, up = (bin_index(v, bin_edges(v.min(), v.max(), GRID)) for v in (x, y))
    cell = across * GRID + up
    count = np.bincount(cell, minlength=GRID * GRID)
    sum_x, sum_y = (np.bincount(cell, weights=v, minlength=GRID * GRID) for v in (x, y))
    return [
        {"x": float(sum_x[c] / count[c]), "y": float(sum_y[c] / count[c]), "count": int(count[c])}
        for c in np.flatnonzero(count)
    ]
