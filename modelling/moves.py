"""The machinery of what-if changes: one set for recommendations and what-if.

A task's moves (declared in its module under `modelling.tasks`) propose realistic changes to the
fields a student can act on; its `consistent` rule turns any chosen values (a move, or what a person
sets in the what-if panel) into a whole row that keeps the data's own relations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelling.schemas import NumericField, TaskSchema


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


def numeric_steps(row: Mapping[str, Any], f: NumericField, steps: list[float], unit: str) -> list[Move]:
    """Moves of a numeric field up by each step, within its training range."""
    moves = []
    current = float(row[f.name])
    for step in steps:
        target = min(current + step, f.train_max)
        if target > current:
            moves.append(
                Move(f.name, f"{f.label}: {current:g} → {target:g} {unit}".strip(), {f.name: target})
            )
    return moves


def replaced(original: Mapping[str, Any], chosen: Mapping[str, Any]) -> dict[str, Any]:
    """Independent fields: the chosen values replace the original ones."""
    return {**original, **{name: value for name, value in chosen.items() if value is not None}}


def numeric_deltas(
    schema: TaskSchema, original: Mapping[str, Any], chosen: Mapping[str, Any]
) -> dict[str, float]:
    """How much each chosen numeric field moves from its original value (unchanged ones left out)."""
    return {
        name: float(value) - float(original[name])
        for name, value in chosen.items()
        if isinstance(schema.field(name), NumericField)
        and value is not None
        and float(value) != float(original[name])
    }
