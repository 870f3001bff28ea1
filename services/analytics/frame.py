"""A cohort of the active model's training data, summed up with pandas."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from db.tables import ModelVersion
from modelling.data import load_bundled, load_labelled
from modelling.tasks import task_for
from services.analytics.cohort import Cohort, filter_frame
from services.analytics.stats import Sums, bin_edges, bin_index, combine, pairs
from services.errors import InvalidInput
from services.predictions import bands_for


@lru_cache(maxsize=4)
def _training_frame(task: str, data_source: str) -> pd.DataFrame:
    path = Path(data_source)
    return load_labelled(task, path).frame if path.is_file() else load_bundled(task).frame


def training_data(task: str) -> pd.DataFrame:
    """The active version's training rows with a `level` column: level band (exam) or outcome (dropout)."""
    row = ModelVersion.active(task)
    if row is None:
        raise InvalidInput(f"No active {task} model, so no training data to describe.")
    frame = _training_frame(task, row.data_source).copy()
    definition = task_for(task)
    frame["level"] = definition.actual_groups(
        frame[definition.form.schema.target].to_numpy(), bands_for(task)
    )
    return frame


class FrameCohort:
    """The rows of a cohort in a frame with a `level` column (the training data), summed up as a profile
    needs (as `StoredCohort` does in SQL)."""

    def __init__(self, frame: pd.DataFrame, cohort: Cohort, fields: tuple[list, list]):
        self.numeric, self.categorical = fields
        self.frame = filter_frame(frame, cohort)
        self.groups = self.frame.groupby("level")

    def summary(self) -> tuple:
        """Per group, the sums of the numeric fields; per numeric field and group, the rows in each
        histogram bin; per category field and group, the rows of each value; the students (None:
        training rows name none)."""
        by_group = self.sums()
        everyone = combine(list(by_group.values()), self.numeric)
        edges = {n: bin_edges(everyone.low[n], everyone.high[n]) for n in self.numeric}
        return by_group, self._bins({n: e for n, e in edges.items() if e}), self._categories(), None

    def counts(self, analysed: dict[str, int]) -> tuple[int, dict[str, int]]:
        """Rows of the cohort, and per group: every row was analysed."""
        return sum(analysed.values()), analysed

    def sums(self) -> dict[str, Sums]:
        """Per group, the sums of the numeric fields."""
        numeric = self.numeric
        found = {}
        for group, part in self.groups:
            data = part[numeric].astype(float)
            found[str(group)] = Sums(
                rows=len(part),
                count={n: int(data[n].count()) for n in numeric},
                total={n: float(data[n].sum()) for n in numeric},
                square={n: float((data[n] ** 2).sum()) for n in numeric},
                low={n: _number(data[n].min()) for n in numeric},
                high={n: _number(data[n].max()) for n in numeric},
                product={(a, b): float((data[a] * data[b]).sum()) for a, b in pairs(numeric)},
            )
        return found

    def _bins(self, edges: dict[str, list[float]]) -> dict[str, dict[str, list[int]]]:
        counts: dict[str, dict[str, list[int]]] = {}
        for name, bounds in edges.items():
            counts[name] = {}
            for group, part in self.groups:
                values = part[name].astype(float).dropna().to_numpy()
                found = np.bincount(bin_index(values, bounds), minlength=len(bounds) - 1)
                counts[name][str(group)] = found.tolist()
        return counts

    def _categories(self) -> dict[str, dict[str, dict[str, int]]]:
        found: dict[str, dict[str, dict[str, int]]] = {}
        for name in self.categorical:
            table = self.frame.assign(v=self.frame[name].fillna("missing")).groupby(["level", "v"]).size()
            found[name] = {}
            for (group, value), n in table.items():
                found[name].setdefault(str(group), {})[str(value)] = int(n)
        return found


def _number(value: float) -> float | None:
    return None if pd.isna(value) else float(value)
