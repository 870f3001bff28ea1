"""Lookup tables that score an additive model without running it.

When a model's output on the explanation scale (exam points, dropout log-odds) is a sum of one
function per field, each function can be written down once: a value per category for a category
field; a slope for a number the model treats linearly; and for a whole number from 0 up, a
value per whole number over the training range, the last entry standing for every larger value
(a spline held constant and a tree's last step are flat beyond the training maximum). Scoring
a row is then one lookup per field. Tables are compiled when a version is registered and kept
only if they reproduce the model on sample rows, shuffled rows and the edges of every allowed
range; otherwise the version is served by its model as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelling.schemas import CategoryField, NumericField, TaskSchema
from modelling.tasks import Task, task_for

TABLES_FILE = "tables.npz"
TOLERANCE = 1e-7
CHECK_ROWS = 2000
MAX_STEPS = 1_000_000
Columns = Mapping[str, Sequence[Any]] | pd.DataFrame
Score = Callable[[pd.DataFrame], np.ndarray]


@dataclass
class FieldTable:
    """One field's share of the output, relative to the reference row.

    kind "steps": `values[k]` for whole number k (the last for anything larger); "linear":
    `values = [slope, reference]`; "levels": `values[i]` for `categories[i]`, then one for missing
    when the field may be missing."""

    kind: str
    values: np.ndarray
    categories: list[str] = field(default_factory=list)
    _position_cache: dict[Any, int] | None = field(default=None, init=False, repr=False, compare=False)

    def lookup(self, column: Sequence[Any]) -> np.ndarray | None:
        """The field's share for each value, or None for a value the table does not cover."""
        if self.kind == "levels":
            return self._levels(column)
        numbers = np.asarray(column, dtype=float)
        if np.isnan(numbers).any():
            return None
        if self.kind == "linear":
            return self.values[0] * (numbers - self.values[1])
        slots = np.minimum(numbers, len(self.values) - 1)
        index = slots.astype(np.intp)
        if not (index == slots).all() or (index < 0).any():
            return None
        return self.values[index]

    def _positions(self) -> dict[Any, int]:
        """Each category's row in `values` (made once per table)."""
        if self._position_cache is None:
            self._position_cache = {c: i for i, c in enumerate(self.categories)}
        return self._position_cache

    def _levels(self, column: Sequence[Any]) -> np.ndarray | None:
        missing = len(self.categories) if len(self.values) > len(self.categories) else -1
        if len(column) <= 256:
            positions = self._positions()
            codes = np.array(
                [positions[v] if v in positions else missing if _is_missing(v) else -1 for v in column],
                dtype=int,
            )
        else:
            series = pd.Series(column, dtype=object)
            codes = pd.Categorical(series, categories=self.categories).codes.astype(int)
            codes[series.isna().to_numpy()] = missing
        if (codes < 0).any():
            return None
        return self.values[codes]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


@dataclass
class AdditiveTables:
    """Per-field tables whose sum (plus `base`) is the model's explanation-scale output."""

    task: str
    names: list[str]
    base: float
    fields: list[FieldTable]

    def scale_values(self, columns: Columns) -> np.ndarray | None:
        """Explanation-scale outputs of validated rows (columns by field name), or None when a
        value is outside what the tables cover."""
        total: np.ndarray | None = None
        for name, table in zip(self.names, self.fields, strict=True):
            share = table.lookup(columns[name])
            if share is None:
                return None
            total = share + self.base if total is None else total + share
        return total

    def outcomes(self, columns: Columns) -> np.ndarray | None:
        """Scores clipped to 0..100 (exam) or dropout probabilities, or None (see `scale_values`)."""
        values = self.scale_values(columns)
        if values is None:
            return None
        return task_for(self.task).outcome.from_scale(values)

    def save(self, path: Path) -> None:
        """Write the tables to one .npz file."""
        arrays: dict[str, Any] = {}
        for i, table in enumerate(self.fields):
            arrays[f"kind_{i}"] = table.kind
            arrays[f"values_{i}"] = table.values
            arrays[f"categories_{i}"] = np.array(table.categories, dtype=str)
        np.savez(path, task=self.task, names=np.array(self.names), base=self.base, **arrays)

    @classmethod
    def load(cls, path: Path) -> AdditiveTables:
        """Read tables written by `save`."""
        with np.load(path, allow_pickle=False) as data:
            names = [str(name) for name in data["names"]]
            fields = [
                FieldTable(
                    str(data[f"kind_{i}"]),
                    np.asarray(data[f"values_{i}"], dtype=float),
                    [str(c) for c in data[f"categories_{i}"]],
                )
                for i in range(len(names))
            ]
            return cls(str(data["task"]), names, float(data["base"]), fields)


def _grid_for(f: NumericField | CategoryField, frame: pd.DataFrame, reference: Any) -> list[Any]:
    """The values to evaluate a field at: every category (and missing, when allowed); every whole
    number up to the training maximum plus two beyond it; or, for other numbers, one step away."""
    if isinstance(f, CategoryField):
        return [*f.categories, None] if f.optional else list(f.categories)
    top = max(float(frame[f.name].max()), float(reference))
    if f.integer and f.minimum >= 0 and top < MAX_STEPS:
        return [*np.arange(int(top) + 1, dtype=float), int(top) + 1.0, float(f.maximum)]
    return [float(reference) + 1.0]


def _field_table(
    f: NumericField | CategoryField, grid: list[Any], shares: np.ndarray, reference: Any
) -> FieldTable:
    """Steps when a whole-number field is flat beyond its training maximum, else a slope; levels
    for a category."""
    if isinstance(f, CategoryField):
        return FieldTable("levels", shares, list(f.categories))
    if len(grid) == 1:
        return FieldTable("linear", np.array([shares[0] / (grid[0] - reference), reference]))
    steps, beyond = shares[:-2], shares[-2:]
    if np.allclose(beyond, steps[-1], rtol=0.0, atol=TOLERANCE * max(1.0, float(np.abs(steps).max()))):
        return FieldTable("steps", steps)
    slope = (shares[-2] - shares[-3]) / (grid[-2] - grid[-3])
    return FieldTable("linear", np.array([slope, float(reference)]))


def _probe_rows(schema: TaskSchema, frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Training rows, the same columns shuffled independently, and rows at the allowed edges."""
    rng = np.random.default_rng(seed)
    sample = frame[schema.names].sample(min(CHECK_ROWS, len(frame)), random_state=seed).reset_index(drop=True)
    shuffled = sample.apply(lambda column: rng.permutation(column.to_numpy()))
    edges = sample.head(2 * len(schema.fields)).copy()
    for i, f in enumerate(schema.fields):
        if isinstance(f, NumericField):
            low, high = f.minimum, f.maximum
            edges.loc[2 * i, f.name], edges.loc[2 * i + 1, f.name] = low, high
    return pd.concat([sample, shuffled, edges], ignore_index=True)


def compile_tables(
    task: Task,
    score: Score,
    frame: pd.DataFrame,
    reference: Mapping[str, Any],
    seed: int = 0,
) -> AdditiveTables | None:
    """Tabulate `score` (explanation scale) per field; None unless the tables reproduce it.

    `score(frame) -> array` should be additive over the schema's fields (the caller checks)."""
    if len(frame) == 0:
        return None
    schema = task.form.schema
    names = schema.names
    grids = [_grid_for(f, frame, reference[f.name]) for f in schema.fields]
    blocks = [pd.DataFrame([dict(reference)], columns=names)]
    for f, values in zip(schema.fields, grids, strict=True):
        block = pd.DataFrame({other: [reference[other]] * len(values) for other in names}, columns=names)
        block[f.name] = pd.Series(values, dtype=object if isinstance(f, CategoryField) else float)
        blocks.append(block)
    evaluated = score(pd.concat(blocks, ignore_index=True))
    base = float(evaluated[0])
    fields, start = [], 1
    for f, values in zip(schema.fields, grids, strict=True):
        shares = evaluated[start : start + len(values)] - base
        start += len(values)
        fields.append(_field_table(f, values, shares, reference[f.name]))
    compiled = AdditiveTables(task.name, list(names), base, fields)
    probes = _probe_rows(schema, frame, seed)
    expected = score(probes)
    got = compiled.scale_values(probes)
    if got is not None:
        got = task.outcome.bounded_scale(got)
    tolerance = TOLERANCE * max(1.0, float(np.abs(expected).max()))
    if got is None or not np.allclose(got, expected, rtol=0.0, atol=tolerance):
        return None
    return compiled
