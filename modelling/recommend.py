"""What-if changes and recommendations, computed by the model.

Candidate changes come from the task's moves (fields a student can act on, within the training
range), made whole by the task's consistency rule (the same one the what-if panel uses) and kept
only when every cross-field rule holds; each is scored by the model, and the changes that help
most (in the task's better direction) become recommendations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from modelling.moves import Change
from modelling.schemas import NumericField, TaskSchema
from modelling.tasks import Task


def what_if(task: Task, original: Mapping[str, Any], chosen: Mapping[str, Any]) -> dict[str, Any]:
    """The original row with the chosen values, and the fields that must move with them."""
    return task.form.consistent(original, chosen)


def _within_ranges(schema: TaskSchema, values: Mapping[str, Any]) -> bool:
    for name, value in values.items():
        f = schema.field(name)
        if isinstance(f, NumericField) and not f.minimum <= value <= f.maximum:
            return False
    return True


def _changed(row: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in new.items() if value != row.get(name)}


def candidate_changes(task: Task, row: Mapping[str, Any]) -> list[Change]:
    """The task's moves, made whole, that keep every allowed range and cross-field rule."""
    schema = task.form.schema
    changes = []
    for move in task.form.moves(row):
        values = _changed(row, task.form.consistent(row, move.chosen))
        if values and _within_ranges(schema, values):
            changes.append(Change(move.field, move.text, values))
    if not changes or not schema.rules:
        return changes
    columns = {
        name: np.array([change.values.get(name, row[name]) for change in changes], dtype=float)
        for name in schema.names
    }
    problems = schema.rule_problems(columns, len(changes))
    return [change for change, broken in zip(changes, problems, strict=True) if not broken]


def recommendations(
    task: Task, changes: list[Change], base: float, outcomes: np.ndarray, count: int = 3
) -> list[dict[str, Any]]:
    """The best change per field, ordered by how much it helps; only changes that help."""
    best: dict[str, tuple[float, Change, float]] = {}
    for change, outcome in zip(changes, outcomes, strict=True):
        gain = task.better * (float(outcome) - base)
        if gain > best.get(change.field, (0.0, None, 0.0))[0]:
            best[change.field] = (gain, change, float(outcome))
    ranked = sorted(
        (item for item in best.values() if item[0] >= task.form.min_gain), key=lambda item: -item[0]
    )
    return [
        {
            "field": change.field,
            "change": change.text,
            "values": change.values,
            "predicted": round(outcome, 4),
            "gain": round(gain, 4),
        }
        for gain, change, outcome in ranked[:count]
    ]
