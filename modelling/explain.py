"""Per-prediction contributions of each input field, and their plain-words reading.

Method: baseline Shapley values over the input fields (Strumbelj & Kononenko, 2014). The baseline
is a reference student (training medians and modes). Walking the fields in some order from the
reference to the actual row, each field is credited with the change in the model output when its
value is switched in. For a model that is additive in its fields (linear models, splines, additive
boosting) every order gives the same, exact Shapley values, so one order is used; for other models
the credits are averaged over sampled orders and their reverses. In every case the contributions
add up exactly to prediction minus baseline. Exam contributions are in score points; dropout
contributions are in log-odds of dropping out (positive raises the risk).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelling.schemas import CategoryField, NumericField, TaskSchema

ScoreFn = Callable[[pd.DataFrame], np.ndarray]
SAMPLED_ORDERS = 8


@dataclass(frozen=True)
class Explanation:
    """`base + sum(contributions.values()) == value` (up to float rounding)."""

    base: float
    value: float
    contributions: dict[str, float]


def reference_row(frame: pd.DataFrame, schema: TaskSchema) -> dict[str, Any]:
    """A typical input: each number's median (rounded for whole numbers), each commonest category."""
    reference: dict[str, Any] = {}
    for f in schema.fields:
        column = frame[f.name]
        if isinstance(f, NumericField):
            value = float(column.median())
            reference[f.name] = float(round(value)) if f.integer else value
        else:
            modes = column.dropna().mode()
            reference[f.name] = str(modes.iloc[0]) if len(modes) else None
    return reference


def field_orders(names: list[str], additive: bool, seed: int = 0) -> list[list[int]]:
    """The orders in which fields are switched in: one for additive models, sampled pairs otherwise."""
    if additive:
        return [list(range(len(names)))]
    rng = np.random.default_rng(seed)
    orders = []
    for _ in range(SAMPLED_ORDERS // 2):
        order = list(rng.permutation(len(names)))
        orders.extend([order, order[::-1]])
    return orders


def path_rows(
    row: Mapping[str, Any], reference: Mapping[str, Any], names: list[str], orders: list[list[int]]
) -> list[dict[str, Any]]:
    """For each order, the rows from the reference to `row`, switching one more field each step."""
    rows = []
    for order in orders:
        current = dict(reference)
        rows.append(dict(current))
        for index in order:
            current[names[index]] = row[names[index]]
            rows.append(dict(current))
    return rows


def reduce_paths(values: np.ndarray, names: list[str], orders: list[list[int]]) -> Explanation:
    """Average each field's credit along the paths produced by `path_rows`."""
    credit = np.zeros(len(names))
    step = len(names) + 1
    for k, order in enumerate(orders):
        path = values[k * step : (k + 1) * step]
        deltas = np.diff(path)
        for position, index in enumerate(order):
            credit[index] += deltas[position]
    credit /= len(orders)
    return Explanation(
        float(values[0]), float(values[len(names)]), dict(zip(names, credit.tolist(), strict=True))
    )


def explain(
    score: ScoreFn,
    schema: TaskSchema,
    row: Mapping[str, Any],
    reference: Mapping[str, Any],
    additive: bool,
    seed: int = 0,
) -> Explanation:
    """Contributions of each field of `row` to `score(row)` relative to the reference."""
    orders = field_orders(schema.names, additive, seed)
    rows = path_rows(row, reference, schema.names, orders)
    return reduce_paths(score(pd.DataFrame(rows, columns=schema.names)), schema.names, orders)


def is_additive(
    score: ScoreFn,
    schema: TaskSchema,
    sample: pd.DataFrame,
    reference: Mapping[str, Any],
    tolerance: float = 1e-6,
) -> bool:
    """True when two different field orders credit every field the same on sample rows."""
    names = schema.names
    forward, backward = [list(range(len(names)))], [list(range(len(names)))[::-1]]
    for _, row in sample.head(8).iterrows():
        record = row[names].to_dict()
        a = reduce_paths(score(pd.DataFrame(path_rows(record, reference, names, forward))), names, forward)
        b = reduce_paths(score(pd.DataFrame(path_rows(record, reference, names, backward))), names, backward)
        scale = max(1.0, max(abs(v) for v in a.contributions.values()))
        if any(abs(a.contributions[n] - b.contributions[n]) > tolerance * scale for n in names):
            return False
    return True


def _shown(f: NumericField | CategoryField, value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "not given"
    if isinstance(f, NumericField):
        number = f"{value:g}"
        if f.unit == "%":
            return f"{number}%"
        # "1 event", "1 day": a plural unit is read as singular for exactly one.
        unit = f.unit[:-1] if value == 1 and f.unit.endswith("s") else f.unit
        return f"{number} {unit}".rstrip()
    return str(value)


def top_factors(
    schema: TaskSchema,
    row: Mapping[str, Any],
    explanation: Explanation,
    count: int = 3,
    outcome: str = "score",
) -> list[str]:
    """The strongest contributions as sentences, e.g. 'Attendance (72%) lowered the score by 3.1 points.'"""
    ranked = sorted(explanation.contributions.items(), key=lambda item: abs(item[1]), reverse=True)
    sentences = []
    for name, value in ranked[:count]:
        if abs(value) < 1e-9:
            continue
        f = schema.field(name)
        if outcome == "score":
            verb = "raised" if value > 0 else "lowered"
            sentences.append(
                f"{f.label} ({_shown(f, row.get(name))}) {verb} the predicted score by "
                f"{abs(value):.1f} points."
            )
        else:
            verb = "raised" if value > 0 else "lowered"
            sentences.append(f"{f.label} ({_shown(f, row.get(name))}) {verb} the dropout risk.")
    return sentences
