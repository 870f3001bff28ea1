"""What-if changes and recommendations, computed by the model.

Candidate changes touch only fields a student can act on (the schema's `actionable` fields), stay
within the training range, and keep every cross-field rule; each is scored by the model, and the
changes that help most (raise the exam score, or lower the dropout risk) become recommendations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelling.schemas import DROPOUT, EXAM, NumericField, TaskSchema


@dataclass(frozen=True)
class Change:
    """A realistic change to one actionable field (plus the fields that must move with it)."""

    field: str
    text: str
    values: dict[str, Any]


def _numeric_steps(row: Mapping[str, Any], f: NumericField, steps: list[float], unit: str) -> list[Change]:
    changes = []
    current = float(row[f.name])
    for step in steps:
        target = min(current + step, f.train_max)
        if target <= current:
            continue
        shown = f"{current:g} → {target:g}"
        changes.append(Change(f.name, f"{f.label}: {shown} {unit}".strip(), {f.name: target}))
    return changes


def exam_changes(row: Mapping[str, Any]) -> list[Change]:
    """Realistic improvements to the exam-score factors a student controls."""
    field = EXAM.field
    changes = [
        *_numeric_steps(row, field("hours_studied"), [2, 5, 10], "hours per week"),
        *_numeric_steps(row, field("attendance"), [5, 10, 20], "%"),
        *_numeric_steps(row, field("tutoring_sessions"), [1, 2, 4], "sessions per month"),
        *_numeric_steps(row, field("physical_activity"), [1, 2], "hours per week"),
    ]
    sleep = float(row["sleep_hours"])
    for target in (7.0, 8.0):
        if sleep != target and abs(sleep - target) <= 3:
            changes.append(
                Change(
                    "sleep_hours", f"Sleep: {sleep:g} → {target:g} hours per night", {"sleep_hours": target}
                )
            )
    if row.get("extracurricular_activities") == "No":
        changes.append(
            Change(
                "extracurricular_activities",
                "Extracurricular activities: No → Yes",
                {"extracurricular_activities": "Yes"},
            )
        )
    return changes


def _more_events(row: Mapping[str, Any], name: str, source: str, amount: int, label: str) -> Change:
    values = {
        name: float(row[name]) + amount,
        source: float(row[source]) + amount,
        "late_events": float(row["late_events"]) + amount,
    }
    return Change(name, f"{amount} more {label} from now on", values)


def dropout_changes(row: Mapping[str, Any]) -> list[Change]:
    """Realistic increases in course activity (sources and timing moved consistently)."""
    changes = []
    for amount in (10, 25):
        changes.append(_more_events(row, "video", "browser", amount, "video events"))
        changes.append(_more_events(row, "problem", "browser", amount, "problem attempts"))
    for amount in (5, 15):
        changes.append(_more_events(row, "discussion", "server", amount, "forum events"))
    changes.append(_more_events(row, "access", "server", 20, "course-material visits"))
    days, span = float(row["study_days"]), float(row["active_span_days"])
    for extra in (2, 5, 10):
        new_days = min(days + extra, 30.0)
        if new_days <= days:
            continue
        added = new_days - days
        new_span = min(max(span, new_days - 1), 29.0)
        changes.append(
            Change(
                "study_days",
                f"Study on {added:g} more days ({days:g} → {new_days:g}), at least one visit each",
                {
                    "study_days": new_days,
                    "active_span_days": new_span,
                    "access": float(row["access"]) + added,
                    "server": float(row["server"]) + added,
                    "late_events": float(row["late_events"]) + added,
                },
            )
        )
    return changes


CHANGES = {EXAM.task: exam_changes, DROPOUT.task: dropout_changes}


def _within_ranges(schema: TaskSchema, change: Change) -> bool:
    for name, value in change.values.items():
        f = schema.field(name)
        if isinstance(f, NumericField) and not f.minimum <= value <= f.maximum:
            return False
    return True


def candidate_changes(schema: TaskSchema, row: Mapping[str, Any]) -> list[Change]:
    """The task's candidate changes that keep every allowed range and cross-field rule."""
    changes = [c for c in CHANGES[schema.task](row) if _within_ranges(schema, c)]
    if not changes or not schema.rules:
        return changes
    columns = {
        name: np.array([change.values.get(name, row[name]) for change in changes], dtype=float)
        for name in schema.names
    }
    problems = schema.rule_problems(columns, len(changes))
    return [change for change, broken in zip(changes, problems, strict=True) if not broken]


def recommendations(
    schema: TaskSchema, changes: list[Change], base: float, outcomes: np.ndarray, count: int = 3
) -> list[dict[str, Any]]:
    """The best change per field, ordered by how much it helps; only changes that help."""
    sign = 1.0 if schema.task == EXAM.task else -1.0
    best: dict[str, tuple[float, Change, float]] = {}
    for change, outcome in zip(changes, outcomes, strict=True):
        gain = sign * (float(outcome) - base)
        if gain > best.get(change.field, (0.0, None, 0.0))[0]:
            best[change.field] = (gain, change, float(outcome))
    threshold = 0.05 if schema.task == EXAM.task else 0.002
    ranked = sorted((item for item in best.values() if item[0] >= threshold), key=lambda item: -item[0])
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
