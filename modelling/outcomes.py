"""The kinds of outcome a task predicts: a bounded score with a split-conformal interval, or the
calibrated probability of an event. Each knows how to read, score, cross-validate and word its values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelling import evaluate

CONFUSION_THRESHOLD = 0.5


@dataclass(frozen=True)
class Score:
    """A number on a bounded scale, served with a split-conformal interval."""

    low: float = 0.0
    high: float = 100.0
    interval_level: float = 0.9
    decimals: int = 1
    summary_decimals: int = 1
    unit: str = "points"
    contribution_unit: str = "points"
    scoring: str = "neg_mean_absolute_error"
    importance_text: str = "increase in MAE"
    target_text: str = "must be a number from 0 to 100"
    has_interval: bool = True

    def values(self, estimator: Any, frame: pd.DataFrame) -> np.ndarray:
        """Predicted scores, clipped to the scale."""
        return np.clip(np.asarray(estimator.predict(frame), dtype=float).ravel(), self.low, self.high)

    def explanation_scale(self, values: np.ndarray, floor: float = 1e-6) -> np.ndarray:
        """Explanations are given in the score's own points."""
        return values

    @property
    def scale(self) -> tuple[float, float]:
        """The range a value can take."""
        return (self.low, self.high)

    def from_scale(self, values: np.ndarray) -> np.ndarray:
        """Values on the explanation scale back to scores (kept on the scale)."""
        return np.clip(values, self.low, self.high)

    def bounded_scale(self, values: np.ndarray) -> np.ndarray:
        """Explanation-scale values as the model can give them (on the scale)."""
        return self.from_scale(values)

    def valid_target(self, target: pd.Series) -> np.ndarray:
        """Which target values are on the scale."""
        return target.between(self.low, self.high).to_numpy()

    def target_array(self, target: np.ndarray) -> np.ndarray:
        """The training target as the estimators take it."""
        return target.astype(float)

    def training_target(self, target: np.ndarray) -> np.ndarray:
        """The target to train on (predictions are clipped to the scale, so any number will do)."""
        return target.astype(float)

    def splitter(self, folds: int, seed: int) -> Any:
        """Shuffled, seeded folds."""
        from sklearn.model_selection import KFold  # serving from lookup tables needs no scikit-learn

        return KFold(n_splits=folds, shuffle=True, random_state=seed)

    def fold_metrics(self, y: np.ndarray, oof: np.ndarray, splits: list) -> list[dict[str, float]]:
        """Per fold: errors, and the coverage of a half-width taken from the other folds' residuals."""
        residuals = np.abs(y - oof)
        per_fold = []
        for train, test in splits:
            halfwidth = evaluate.conformal_halfwidth(residuals[train], self.interval_level)
            metrics = evaluate.regression_metrics(y[test], oof[test], halfwidth)
            metrics["mae_rounded"] = evaluate.mae(y[test], np.rint(oof[test]))
            per_fold.append(metrics)
        return per_fold

    def details(self, y: np.ndarray, oof: np.ndarray) -> dict[str, Any]:
        """Out-of-fold diagnostics of the winner: its interval and residuals."""
        residuals = y - oof
        return {
            "interval_level": self.interval_level,
            "interval_halfwidth": evaluate.conformal_halfwidth(np.abs(residuals), self.interval_level),
            "interval_method": "split-conformal: the ceil((n+1)*level)-th smallest out-of-fold "
            "absolute residual",
            "residuals": evaluate.residual_summary(residuals),
            "score_range": [self.low, self.high],
        }

    def interval(self, value: float, halfwidth: float) -> dict[str, float]:
        """The interval around one value, kept on the scale."""
        low, high = max(self.low, value - halfwidth), min(self.high, value + halfwidth)
        return {"low": round(low, 1), "high": round(high, 1), "level": self.interval_level}

    def interval_columns(self, values: np.ndarray, halfwidth: float) -> dict[str, np.ndarray]:
        """The interval of many values as output columns."""
        return {
            "interval_low": np.round(np.clip(values - halfwidth, self.low, self.high), 1),
            "interval_high": np.round(np.clip(values + halfwidth, self.low, self.high), 1),
        }

    def headline(self, value: float) -> str:
        """The value as a person reads it."""
        return f"{value:.{self.decimals}f}"

    def difference(self, diff: float) -> str:
        """A change of the value in words."""
        return f"{diff:+.1f} {self.unit}"

    def gain_text(self, gain: float, predicted: float) -> str:
        """What a recommended change gains, and the value it leads to."""
        return f"+{gain:.1f} {self.unit} → {predicted:.1f}"


@dataclass(frozen=True)
class Probability:
    """The calibrated probability that an event happens."""

    decimals: int = 4
    summary_decimals: int = 3
    unit: str = "probability"
    contribution_unit: str = "log-odds"
    scoring: str = "roc_auc"
    importance_text: str = "drop in ROC AUC"
    target_text: str = "must be 0 or 1"
    has_interval: bool = False

    def values(self, estimator: Any, frame: pd.DataFrame) -> np.ndarray:
        """Probabilities of the event."""
        return np.asarray(estimator.predict_proba(frame))[:, 1]

    def explanation_scale(self, values: np.ndarray, floor: float = 1e-6) -> np.ndarray:
        """Explanations are given in log-odds, where the additive models add up."""
        p = np.clip(values, floor, 1 - floor)
        return np.log(p / (1 - p))

    @property
    def scale(self) -> tuple[float, float]:
        """The range a probability can take."""
        return (0.0, 1.0)

    def from_scale(self, values: np.ndarray) -> np.ndarray:
        """Log-odds back to probabilities."""
        return np.exp(-np.logaddexp(0.0, -values))

    def bounded_scale(self, values: np.ndarray) -> np.ndarray:
        """Log-odds are unbounded."""
        return values

    def valid_target(self, target: pd.Series) -> np.ndarray:
        """Which target values are 0 or 1."""
        return target.isin([0, 1]).to_numpy()

    def target_array(self, target: np.ndarray) -> np.ndarray:
        """The training target as the estimators take it."""
        return target.astype(int)

    def training_target(self, target: np.ndarray) -> np.ndarray:
        """The 0/1 target to train on; ValueError for any other value."""
        if not np.isin(target, (0.0, 1.0)).all():
            raise ValueError(f"The target {self.target_text}")
        return target.astype(int)

    def splitter(self, folds: int, seed: int) -> Any:
        """Shuffled, seeded folds with the event rate of the whole set."""
        from sklearn.model_selection import StratifiedKFold

        return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)

    def fold_metrics(self, y: np.ndarray, oof: np.ndarray, splits: list) -> list[dict[str, float]]:
        """Per fold: ROC AUC, Brier score, ECE and log loss of the held-out probabilities."""
        return [evaluate.classification_metrics(y[test], oof[test]) for _, test in splits]

    def details(self, y: np.ndarray, oof: np.ndarray) -> dict[str, Any]:
        """Out-of-fold diagnostics of the winner: calibration and confusion."""
        return {
            "calibration_curve": evaluate.calibration_curve(y, oof),
            "oof_ece": evaluate.expected_calibration_error(y, oof),
            "confusion_matrix": evaluate.confusion_at(y, oof, CONFUSION_THRESHOLD),
            "base_rate": float(np.mean(y)),
            "calibration": "inside the estimator: Platt scaling on shuffled 3-fold out-of-fold scores "
            "(random forest: isotonic map of out-of-bag votes)",
        }

    def interval(self, value: float, halfwidth: float) -> None:
        """A probability is served without an interval."""
        return None

    def interval_columns(self, values: np.ndarray, halfwidth: float) -> dict[str, np.ndarray]:
        """No interval columns."""
        return {}

    def headline(self, value: float) -> str:
        """The probability in percent."""
        return f"{value:.0%}"

    def difference(self, diff: float) -> str:
        """A change of the probability in percentage points."""
        return f"{diff * 100:+.1f} points of risk"

    def gain_text(self, gain: float, predicted: float) -> str:
        """How much a recommended change lowers the probability, and the probability it leads to."""
        return f"−{gain * 100:.1f} points of risk → {predicted:.0%}"


Outcome = Score | Probability
