"""The fairness report of a model: its figures per group of learners, the largest gaps, and the gate.

For every group attribute a task declares (e.g. gender), each group's size, base rate (the share whose
actual outcome is of concern), ROC AUC (a metric) or MAE (a score), calibration (mean predicted beside
mean observed), the share flagged (predicted at the level of concern) and its precision and recall. The
gaps are the largest difference of a figure between two groups, and for ROC AUC the ABROCA (area
between the ROC curves of a group and of the largest group, the largest over the groups).

The point figures come from fairlearn's MetricFrame. Every figure has a bootstrap 95% interval: rows are
drawn with replacement within each group (each group keeps its size), so a small group gets the wide
interval it deserves; a figure a draw cannot measure (no learner flagged, one class only) is left out of
that draw. Groups smaller than `MIN_GROUP` rows are listed with their size but left out of the gaps.

Everything returned is plain JSON (floats, None for what cannot be measured).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

from modelling.levels import Bands, level_names, levels_for
from modelling.tasks import Task

BOOTS = 200
LEVEL = 0.95
MIN_GROUP = 20
ROC_GRID = np.linspace(0.0, 1.0, 201)
GAP_FIGURES = ("flag_rate", "recall")  # what the gate judges


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else math.nan


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by ranks (NaN with one class)."""
    positives = int(y.sum())
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        return math.nan
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _roc(y: np.ndarray, score: np.ndarray) -> np.ndarray | None:
    """The ROC curve's true positive rate on ROC_GRID of false positive rates (None with one class)."""
    positives, negatives = int(y.sum()), int(y.size - y.sum())
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(-score, kind="mergesort")
    ranked, cut = y[order], score[order]
    last = np.r_[np.flatnonzero(np.diff(cut)), y.size - 1]  # the last row of each distinct score
    tpr = np.r_[0.0, np.cumsum(ranked)[last] / positives]
    fpr = np.r_[0.0, np.cumsum(1 - ranked)[last] / negatives]
    return np.interp(ROC_GRID, fpr, tpr)


def abroca(curve: np.ndarray | None, baseline: np.ndarray | None) -> float:
    """The area between two ROC curves sampled on ROC_GRID (NaN when one cannot be drawn)."""
    if curve is None or baseline is None:
        return math.nan
    return float(np.trapezoid(np.abs(curve - baseline), ROC_GRID))


def _mae(y: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(y - predicted)))


# The figure of how well a model tells its outcome, by the task's primary metric; ABROCA is for the
# metrics read off a ROC curve.
ACCURACY = {"roc_auc": lambda y, p: _auc(y.astype(int), p), "mae": _mae}
ROC_METRICS = frozenset({"roc_auc"})


def _figures(columns: Mapping[str, np.ndarray], metric: str) -> dict[str, float]:
    """One group's figures from its rows' actual values, predictions, concern and flags."""
    y, pred = columns["y"], columns["pred"]
    concern, flagged = columns["concern"], columns["flagged"]
    return {
        "base_rate": _share(concern),
        metric: ACCURACY[metric](y, pred),
        "mean_predicted": float(pred.mean()),
        "observed": float(y.mean()),
        "calibration": float(pred.mean() - y.mean()),
        "flag_rate": _share(flagged),
        "precision": _share(concern[flagged]) if flagged.any() else math.nan,
        "recall": _share(flagged[concern]) if concern.any() else math.nan,
    }


def _fairlearn_figures(columns: Mapping[str, np.ndarray], groups: np.ndarray, metric: str) -> Any:
    """Every group's figures as fairlearn's MetricFrame computes them (groups as its index)."""
    from fairlearn.metrics import MetricFrame  # only when a report is made

    def figure(name: str):
        def one(y_true, y_pred, concern, flagged):
            rows = {"y": np.asarray(y_true), "pred": np.asarray(y_pred)}
            rows |= {"concern": np.asarray(concern, bool), "flagged": np.asarray(flagged, bool)}
            return _figures(rows, metric)[name]

        return one

    names = list(_figures({k: v[:1] for k, v in columns.items()}, metric))
    params = {"concern": columns["concern"], "flagged": columns["flagged"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        frame = MetricFrame(
            metrics={name: figure(name) for name in names},
            y_true=columns["y"],
            y_pred=columns["pred"],
            sensitive_features=groups,
            sample_params={name: params for name in names},
        )
    return frame.by_group


def _interval(values: np.ndarray, point: float) -> dict[str, float | None]:
    """{value, low, high}: the point figure and the bootstrap interval of the draws that measured it."""
    finite = values[np.isfinite(values)]
    tail = (1 - LEVEL) / 2
    low, high = np.quantile(finite, [tail, 1 - tail]) if finite.size else (math.nan, math.nan)
    return {"value": _plain(point), "low": _plain(low), "high": _plain(high)}


def _plain(value: float) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def _draw(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rows[rng.integers(0, rows.size, rows.size)]


def _gap(by_group: dict[str, dict[str, float]], name: str) -> tuple[float, list[str]]:
    """The largest difference of a figure between two groups, and those groups (highest first)."""
    known = {group: values[name] for group, values in by_group.items() if np.isfinite(values[name])}
    if len(known) < 2:
        return math.nan, []
    ordered = sorted(known, key=known.get)  # stable: two different groups even when all are equal
    top, bottom = ordered[-1], ordered[0]
    return known[top] - known[bottom], [top, bottom]


def _abroca_gap(columns: Mapping[str, np.ndarray], rows: dict[str, np.ndarray]) -> tuple[float, list[str]]:
    """The largest ABROCA of a group against the largest group."""
    curves = {g: _roc(columns["y"][r].astype(int), columns["pred"][r]) for g, r in rows.items()}
    baseline = max(rows, key=lambda group: rows[group].size)
    areas = {g: abroca(curve, curves[baseline]) for g, curve in curves.items() if g != baseline}
    areas = {g: a for g, a in areas.items() if np.isfinite(a)}
    if not areas:
        return math.nan, []
    worst = max(areas, key=areas.get)
    return areas[worst], [worst, baseline]


def _gaps(
    columns: Mapping[str, np.ndarray],
    rows: dict[str, np.ndarray],
    metric: str,
    by_group: dict[str, dict[str, float]],
) -> dict:
    """{figure: (gap, groups)} over the compared groups (`rows`), whose figures are `by_group`."""
    by_group = {group: by_group[group] for group in rows}
    names = [metric, "calibration", "flag_rate", "precision", "recall"]
    found = {name: _gap(by_group, name) for name in names}
    if metric in ROC_METRICS:
        found["abroca"] = _abroca_gap(columns, rows)
    return found


def attribute_report(
    columns: Mapping[str, np.ndarray], groups: np.ndarray, metric: str, boots: int, seed: int
) -> dict[str, Any]:
    """One attribute's groups (figures with intervals) and its gaps (with intervals)."""
    names = [str(g) for g in groups]
    labels = np.asarray(names, dtype=object)
    rows = {group: np.flatnonzero(labels == group) for group in sorted(set(names))}
    compared = {group: r for group, r in rows.items() if r.size >= MIN_GROUP}
    points = _fairlearn_figures(columns, labels, metric)
    rng = np.random.default_rng(seed)
    draws: dict[str, list[dict[str, float]]] = {group: [] for group in rows}
    gap_draws: list[dict[str, tuple]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(boots):
            drawn = {group: _draw(r, rng) for group, r in rows.items()}
            found = {g: _figures({k: v[r] for k, v in columns.items()}, metric) for g, r in drawn.items()}
            for group, figures in found.items():
                draws[group].append(figures)
            gap_draws.append(_gaps(columns, {g: drawn[g] for g in compared}, metric, found))
        points_by_group = {g: {name: float(points.loc[g, name]) for name in points.columns} for g in rows}
        gaps = _gaps(columns, compared, metric, points_by_group)
    out_groups = []
    for group, r in rows.items():
        figures = {
            name: _interval(np.array([d[name] for d in draws[group]]), float(points.loc[group, name]))
            for name in points.columns
        }
        out_groups.append({"group": group, "size": int(r.size), "compared": group in compared, **figures})
    return {
        "groups": out_groups,
        "gaps": {
            name: {
                **_interval(np.array([d[name][0] for d in gap_draws]), value),
                "between": between,
            }
            for name, (value, between) in gaps.items()
        },
    }


def for_task(
    task: Task,
    y: Sequence[float],
    predicted: Sequence[float],
    groups: Mapping[str, Sequence[Any]],
    bands: Bands,
    *,
    flagged: Sequence[bool] | None = None,
    boots: int = BOOTS,
    seed: int = 0,
) -> dict[str, Any] | None:
    """The fairness report of a task's predictions by those of its group attributes found in `groups`
    (None when there is none): of concern are the actual outcomes, and flagged the predicted levels,
    of the task's `concern` (`flagged` given: e.g. levels relative to the course)."""
    attributes = {
        column: (label, groups[column]) for column, label in task.group_attributes if column in groups
    }
    if not attributes:
        return None
    chosen = slice(*task.concern)
    levels = level_names(bands)[chosen]
    actual = task.actual_groups(np.asarray(y, dtype=float), bands)
    if flagged is None:
        flagged = np.isin(levels_for(np.asarray(predicted, dtype=float), bands), levels)
    return report(
        y,
        predicted,
        attributes,
        concern=np.isin(actual, task.actual_group_names(bands)[chosen]),
        flagged=flagged,
        metric=task.primary_metric,
        flag_label=task.concern_label or " or ".join(levels),
        boots=boots,
        seed=seed,
    )


def report(
    y: Sequence[float],
    predicted: Sequence[float],
    attributes: Mapping[str, tuple[str, Sequence[Any]]],
    *,
    concern: Sequence[bool],
    flagged: Sequence[bool],
    metric: str,
    flag_label: str,
    boots: int = BOOTS,
    seed: int = 0,
) -> dict[str, Any]:
    """The fairness report of predictions `predicted` of actual values `y` (a 0/1 outcome for a
    metric): `attributes` maps a column to (its label, each row's group; a missing group is left
    out), `concern` marks rows whose actual outcome is of concern and `flagged` those predicted so."""
    columns = {
        "y": np.asarray(y, dtype=float),
        "pred": np.asarray(predicted, dtype=float),
        "concern": np.asarray(concern, dtype=bool),
        "flagged": np.asarray(flagged, dtype=bool),
    }
    found = []
    for column, (label, values) in attributes.items():
        groups = np.asarray(values, dtype=object)
        known = np.array([g is not None and str(g).strip() != "" and g == g for g in groups], dtype=bool)
        if len({str(g) for g in groups[known]}) < 2:
            continue  # one group (or none): nothing to compare
        part = {k: v[known] for k, v in columns.items()}
        found.append(
            {
                "name": column,
                "label": label,
                "rows": int(known.sum()),
                **attribute_report(part, groups[known], metric, boots, seed),
            }
        )
    return {
        "metric": metric,
        "flag_label": flag_label,
        "boots": boots,
        "level": LEVEL,
        "min_group": MIN_GROUP,
        "rows": int(columns["y"].size),
        "attributes": found,
    }


def gate(found: Mapping[str, Any] | None, limit: float | None) -> tuple[bool, list[str]]:
    """(passed, reasons): refused when, for an attribute, the gap in the share flagged or in its recall
    exceeds `limit` even at the low end of its 95% interval (no limit: always passed)."""
    if not limit or not found:
        return True, []
    words = {"flag_rate": f"share flagged {found.get('flag_label', '')}".strip(), "recall": "recall"}
    reasons = []
    for attribute in found.get("attributes", []):
        for name in GAP_FIGURES:
            gap = attribute["gaps"].get(name) or {}
            if gap.get("low") is not None and gap["low"] > limit:
                first, second = gap["between"]
                reasons.append(
                    f"{attribute['label']}: the {words[name]} differs by {gap['value']:.2f} between "
                    f"{first} and {second} (95% interval {gap['low']:.2f}–{gap['high']:.2f}), "
                    f"above the limit {limit:.2f}"
                )
    return not reasons, reasons


def _cell(found: Mapping[str, Any] | None) -> str:
    if not found or found.get("value") is None:
        return "–"
    if found.get("low") is None:
        return f"{found['value']:.3f}"
    return f"{found['value']:.3f} [{found['low']:.3f}, {found['high']:.3f}]"


def markdown(found: Mapping[str, Any]) -> list[str]:
    """The report as Markdown lines (a model card's or a document's section): per attribute a table of its
    groups and its gaps, every figure with its 95% interval in brackets."""
    metric = found["metric"]
    figures = ["base_rate", metric, "mean_predicted", "observed", "flag_rate", "precision", "recall"]
    lines = [
        f"Flagged: predicted {found['flag_label']}. Figures [bootstrap {found['level']:.0%} interval, "
        f"{found['boots']} draws within each group]; groups under {found['min_group']} rows are left out of "
        "the gaps.",
    ]
    for attribute in found["attributes"]:
        lines += ["", f"**{attribute['label']}**", "", "| group | n | " + " | ".join(figures) + " |"]
        lines.append("|---|---:|" + "---:|" * len(figures))
        for group in attribute["groups"]:
            cells = " | ".join(_cell(group.get(name)) for name in figures)
            lines.append(f"| {group['group']} | {group['size']} | {cells} |")
        gaps = [
            f"{name} {_cell(gap)} ({' vs '.join(gap['between'])})"
            for name, gap in attribute["gaps"].items()
            if gap.get("value") is not None
        ]
        lines += ["", "Largest gaps: " + "; ".join(gaps) + "."]
    return lines


def summary(found: Mapping[str, Any] | None) -> list[str]:
    """One line per attribute: its gaps in the share flagged and in recall, with their intervals."""
    lines = []
    for attribute in (found or {}).get("attributes", []):
        known = {name: attribute["gaps"].get(name) or {} for name in GAP_FIGURES}
        gaps = [
            f"{name.replace('_', ' ')} gap {_cell(gap)} ({' vs '.join(gap['between'])})"
            for name, gap in known.items()
            if gap.get("value") is not None
        ]
        lines.append(f"{attribute['label']}: " + ("; ".join(gaps) or "no gap measurable"))
    return lines
