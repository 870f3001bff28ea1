"""The changes a student can make, and what must move with them: one set for recommendations and
what-if.

A task's moves propose realistic changes to the fields a student can act on; its `consistent`
rule turns any chosen values (a move, or what a person sets in the what-if panel) into a whole row
that keeps the data's own relations (for dropout: event types add up to the two sources, new
events happen from now on, each study day has a visit and fits the active span).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelling.schemas import DROPOUT, EVENT_TYPES, EXAM, NumericField, TaskSchema

SPAN_MAX = 29.0
DAYS_MAX = 30.0


@dataclass(frozen=True)
class Change:
    """A realistic change to one actionable field, with every field it moves."""

    field: str
    text: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Move:
    """A proposed change: the field it is about, its words, and the values a person would set."""

    field: str
    text: str
    chosen: dict[str, Any]


def _numeric_steps(row: Mapping[str, Any], f: NumericField, steps: list[float], unit: str) -> list[Move]:
    moves = []
    current = float(row[f.name])
    for step in steps:
        target = min(current + step, f.train_max)
        if target > current:
            moves.append(
                Move(f.name, f"{f.label}: {current:g} → {target:g} {unit}".strip(), {f.name: target})
            )
    return moves


def exam_moves(row: Mapping[str, Any]) -> list[Move]:
    """Realistic improvements to the exam-score factors a student controls."""
    field = EXAM.field
    moves = [
        *_numeric_steps(row, field("hours_studied"), [2, 5, 10], "hours per week"),
        *_numeric_steps(row, field("attendance"), [5, 10, 20], "%"),
        *_numeric_steps(row, field("tutoring_sessions"), [1, 2, 4], "sessions per month"),
        *_numeric_steps(row, field("physical_activity"), [1, 2], "hours per week"),
    ]
    sleep = float(row["sleep_hours"])
    for target in (7.0, 8.0):
        if sleep != target and abs(sleep - target) <= 3:
            moves.append(
                Move("sleep_hours", f"Sleep: {sleep:g} → {target:g} hours per night", {"sleep_hours": target})
            )
    if row.get("extracurricular_activities") == "No":
        moves.append(
            Move(
                "extracurricular_activities",
                "Extracurricular activities: No → Yes",
                {"extracurricular_activities": "Yes"},
            )
        )
    return moves


def exam_consistent(original: Mapping[str, Any], chosen: Mapping[str, Any]) -> dict[str, Any]:
    """Exam fields are independent: the chosen values replace the original ones."""
    return {**original, **{name: value for name, value in chosen.items() if value is not None}}


def _more_events(row: Mapping[str, Any], name: str, amount: int, label: str) -> Move:
    return Move(name, f"{amount} more {label} from now on", {name: float(row[name]) + amount})


def dropout_moves(row: Mapping[str, Any]) -> list[Move]:
    """Realistic increases in course activity."""
    moves = []
    for amount in (10, 25):
        moves.append(_more_events(row, "video", amount, "video events"))
        moves.append(_more_events(row, "problem", amount, "problem attempts"))
    for amount in (5, 15):
        moves.append(_more_events(row, "discussion", amount, "forum events"))
    moves.append(_more_events(row, "access", 20, "course-material visits"))
    days = float(row["study_days"])
    for extra in (2, 5, 10):
        new_days = min(days + extra, DAYS_MAX)
        if new_days <= days:
            continue
        added = new_days - days
        moves.append(
            Move(
                "study_days",
                f"Study on {added:g} more days ({days:g} → {new_days:g}), at least one visit each",
                {"study_days": new_days, "access": float(row["access"]) + added},
            )
        )
    return moves


def _numeric_deltas(
    schema: TaskSchema, original: Mapping[str, Any], chosen: Mapping[str, Any]
) -> dict[str, float]:
    return {
        name: float(value) - float(original[name])
        for name, value in chosen.items()
        if isinstance(schema.field(name), NumericField)
        and value is not None
        and float(value) != float(original[name])
    }


def dropout_consistent(original: Mapping[str, Any], chosen: Mapping[str, Any]) -> dict[str, Any]:
    """The chosen values with the fields that must move with them.

    Events added (or removed) are logged by the two sources in their current proportion and
    happen from now on (late events); more study days stretch the active span to at least
    days - 1 and need at least one visit each."""
    deltas = _numeric_deltas(DROPOUT, original, chosen)
    row = exam_consistent(original, chosen)
    added = sum(delta for name, delta in deltas.items() if name in EVENT_TYPES)
    if added and not {"server", "browser"} & deltas.keys():
        server, browser = float(row["server"]), float(row["browser"])
        share = server / (server + browser) if server + browser > 0 else 0.5
        to_server = round(added * share)
        server, browser = server + to_server, browser + (added - to_server)
        if server < 0:
            server, browser = 0.0, browser + server
        if browser < 0:
            server, browser = server + browser, 0.0
        row["server"], row["browser"] = server, browser
    if added and "late_events" not in deltas:
        row["late_events"] = max(0.0, float(row["late_events"]) + added)
    if "study_days" in deltas and "active_span_days" not in deltas:
        row["active_span_days"] = min(
            SPAN_MAX, max(float(row["active_span_days"]), float(row["study_days"]) - 1)
        )
    missing = float(row["study_days"]) - float(row["server"]) - float(row["browser"])
    if missing > 0:
        row["access"] = float(row["access"]) + missing
        row["server"] = float(row["server"]) + missing
    return row
