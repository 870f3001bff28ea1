"""Metric functions for both tasks; every result is a plain float, int, list or dict (JSON-serialisable)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

ArrayLike = Any
CALIBRATION_BINS = 10
RESIDUAL_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
_EPS = 1e-15


def _floats(values: ArrayLike) -> np.ndarray:
    """A flat float array."""
    return np.asarray(values, dtype=float).ravel()


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(_floats(y_true) - _floats(y_pred))))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((_floats(y_true) - _floats(y_pred)) ** 2)))


def r2(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination; for a constant target 1 if predicted exactly, else 0."""
    truth, pred = _floats(y_true), _floats(y_pred)
    total = float(np.sum((truth - truth.mean()) ** 2))
    residual = float(np.sum((truth - pred) ** 2))
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


def interval_coverage(y_true: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Share of targets inside [lower, upper]."""
    truth = _floats(y_true)
    return float(np.mean((truth >= _floats(lower)) & (truth <= _floats(upper))))


def interval_width(lower: ArrayLike, upper: ArrayLike) -> float:
    """Mean width of the intervals."""
    return float(np.mean(_floats(upper) - _floats(lower)))


def conformal_halfwidth(abs_residuals: ArrayLike, level: float) -> float:
    """Split-conformal half-width: the ceil((n + 1) * level)-th smallest absolute residual."""
    scores = np.sort(np.abs(_floats(abs_residuals)))
    if scores.size == 0:
        raise ValueError("conformal_halfwidth needs at least one residual")
    rank = min(math.ceil((scores.size + 1) * level), scores.size)
    return float(scores[rank - 1])


def regression_metrics(
    y_true: ArrayLike, y_pred: ArrayLike, halfwidth: float | None = None
) -> dict[str, float]:
    """MAE, RMSE, R^2 and, given a half-width, coverage and mean width of pred +/- halfwidth."""
    pred = _floats(y_pred)
    metrics = {"mae": mae(y_true, pred), "rmse": rmse(y_true, pred), "r2": r2(y_true, pred)}
    if halfwidth is not None:
        metrics["interval_coverage"] = interval_coverage(y_true, pred - halfwidth, pred + halfwidth)
        metrics["interval_width"] = interval_width(pred - halfwidth, pred + halfwidth)
    return metrics


def residual_summary(residuals: ArrayLike, bins: int = 30) -> dict[str, Any]:
    """Quantiles and a histogram (edges, counts) of residuals (truth - prediction)."""
    values = _floats(residuals)
    counts, edges = np.histogram(values, bins=bins)
    return {
        "quantiles": {str(q): float(np.quantile(values, q)) for q in RESIDUAL_QUANTILES},
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
        "mean": float(values.mean()),
        "std": float(values.std()),
    }


def roc_auc(y_true: ArrayLike, proba: ArrayLike) -> float:
    """Area under the ROC curve (NaN when only one class is present)."""
    truth = _floats(y_true)
    if np.unique(truth).size < 2:
        return float("nan")
    from sklearn.metrics import roc_auc_score  # serving (which imports this module) needs no scikit-learn

    return float(roc_auc_score(truth, _floats(proba)))


def brier(y_true: ArrayLike, proba: ArrayLike) -> float:
    """Brier score: mean squared difference between probability and outcome."""
    return float(np.mean((_floats(proba) - _floats(y_true)) ** 2))


def log_loss(y_true: ArrayLike, proba: ArrayLike) -> float:
    """Mean negative log-likelihood, probabilities clipped away from 0 and 1."""
    truth, p = _floats(y_true), np.clip(_floats(proba), _EPS, 1 - _EPS)
    return float(-np.mean(truth * np.log(p) + (1 - truth) * np.log(1 - p)))


def _bin_index(proba: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width bin of each probability on [0, 1] (1.0 falls in the last bin)."""
    return np.clip((proba * bins).astype(int), 0, bins - 1)


def calibration_curve(
    y_true: ArrayLike, proba: ArrayLike, bins: int = CALIBRATION_BINS
) -> list[dict[str, float]]:
    """Per non-empty equal-width bin: bounds, mean predicted probability, observed rate and row count."""
    truth, p = _floats(y_true), _floats(proba)
    index = _bin_index(p, bins)
    points = []
    for b in range(bins):
        rows = index == b
        if rows.any():
            points.append(
                {
                    "bin_lower": b / bins,
                    "bin_upper": (b + 1) / bins,
                    "mean_predicted": float(p[rows].mean()),
                    "observed_rate": float(truth[rows].mean()),
                    "count": int(rows.sum()),
                }
            )
    return points


def expected_calibration_error(y_true: ArrayLike, proba: ArrayLike, bins: int = CALIBRATION_BINS) -> float:
    """Row-weighted mean |observed rate - mean predicted| over equal-width probability bins."""
    points = calibration_curve(y_true, proba, bins)
    total = sum(point["count"] for point in points)
    if total == 0:
        return float("nan")
    return float(sum(abs(pt["observed_rate"] - pt["mean_predicted"]) * pt["count"] for pt in points) / total)


def confusion_at(y_true: ArrayLike, proba: ArrayLike, threshold: float = 0.5) -> dict[str, Any]:
    """Confusion matrix when predicting 1 for probability >= threshold: counts and [[tn, fp], [fn, tp]]."""
    truth = _floats(y_true) == 1
    predicted = _floats(proba) >= threshold
    tn, fp = int(np.sum(~truth & ~predicted)), int(np.sum(~truth & predicted))
    fn, tp = int(np.sum(truth & ~predicted)), int(np.sum(truth & predicted))
    return {
        "threshold": float(threshold),
        "tn": tn,
        "fp": fp,
        "fn": fn,
        "tp": tp,
        "matrix": [[tn, fp], [fn, tp]],
        "accuracy": (tn + tp) / max(tn + fp + fn + tp, 1),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
    }


def classification_metrics(y_true: ArrayLike, proba: ArrayLike) -> dict[str, float]:
    """ROC AUC, Brier score, expected calibration error (10 bins) and log loss."""
    return {
        "roc_auc": roc_auc(y_true, proba),
        "brier": brier(y_true, proba),
        "ece": expected_calibration_error(y_true, proba),
        "log_loss": log_loss(y_true, proba),
    }


def summarise_folds(per_fold: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each metric over folds, plus `<name>_std` (population standard deviation)."""
    summary: dict[str, float] = {}
    for name in per_fold[0] if per_fold else []:
        values = np.asarray([fold[name] for fold in per_fold], dtype=float)
        summary[name] = float(np.mean(values))
        summary[f"{name}_std"] = float(np.std(values))
    return summary
