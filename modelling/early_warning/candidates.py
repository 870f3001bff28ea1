"""The early-warning candidates; every one returns calibrated probabilities of dropping out.

- `spline_logistic`: per feature, signed log1p (log1p of counts, sign-preserving for the log ratios),
  a cubic B-spline basis, then one L2 logistic regression over all bases: additive in log-odds, so
  the contribution of a feature is exact (`SplineLogistic.terms`). Missing values (a week not reached
  yet, a source that is not reported) are imputed with the training median; a feature missing
  throughout the training rows is left out.
- `gradient_boosting`: `SerialHGBClassifier` (one OpenMP thread) on the same features (NaN native).
- `keras_sequence`: a 1D convolution over the daily counts (`sequence.KerasSequenceClassifier`).
- `ensemble`: the mean log-odds of the other candidates trained in the same run (`ENSEMBLE_MEMBERS`).

Calibration: Platt scaling on out-of-fold scores (`PlattCalibrated`: shuffled stratified folds,
a logistic map of the model's log-odds fitted on the held-out scores, the model refitted on every
row), as `modelling.train._calibrated` does for the dropout task. Platt rather than isotonic: an
affine map of the log-odds keeps the additive model additive, so its reasons stay exact. The sequence
model is Platt-scaled on its early-stopping validation split instead (one network fit, not four).
Shuffled rather than course-grouped folds: on an unseen course most of the calibration error is that
course's own dropout rate, which no map learned on other courses knows, and maps fitted on grouped
folds were no better there (docs/performance.md, "Activity and early warning").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer
from sklearn.utils.validation import check_is_fitted

from modelling.early_warning.inputs import feature_part
from modelling.estimators import LogitAverageClassifier, SerialHGBClassifier

CALIBRATION_FOLDS = 3
BASE_CANDIDATES = ("spline_logistic", "gradient_boosting", "keras_sequence")
ENSEMBLE = "ensemble"
ENSEMBLE_MEMBERS = BASE_CANDIDATES


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """log1p of the magnitude with the sign kept (counts and log ratios alike)."""
    return np.sign(values) * np.log1p(np.abs(values))


def _binary(y: Any) -> np.ndarray:
    """The 0/1 target; ValueError for anything else or a single class."""
    target = np.asarray(y).ravel()
    if not np.isin(target, (0, 1)).all() or np.unique(target).size < 2:
        raise ValueError("The early-warning target must hold both 0 (stayed) and 1 (dropped out).")
    return target.astype(int)


class PlattCalibrated(ClassifierMixin, BaseEstimator):
    """A model whose log-odds are mapped by a logistic fitted on its out-of-fold log-odds."""

    def __init__(self, estimator: Any, folds: int = CALIBRATION_FOLDS, seed: int = 0) -> None:
        self.estimator = estimator
        self.folds = folds
        self.seed = seed

    def fit(self, X: pd.DataFrame, y: Any) -> PlattCalibrated:
        """Out-of-fold scores -> the Platt map; then the model refitted on every row."""
        target = _binary(y)
        scores = np.zeros(len(target))
        splits = StratifiedKFold(n_splits=self.folds, shuffle=True, random_state=self.seed)
        for train, test in splits.split(np.zeros(len(target)), target):
            model = clone(self.estimator).fit(X.iloc[train], target[train])
            scores[test] = model.decision_function(X.iloc[test])
        platt = LogisticRegression(C=1e6).fit(scores[:, None], target)
        self.slope_, self.intercept_ = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        self.estimator_ = clone(self.estimator).fit(X, target)
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated log-odds of dropping out."""
        check_is_fitted(self, "estimator_")
        return self.slope_ * self.estimator_.decision_function(X) + self.intercept_

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities of [stayed, dropped out]."""
        positive = expit(self.decision_function(X))
        return np.column_stack([1 - positive, positive])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where dropping out is the more probable."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


class SplineLogistic(ClassifierMixin, BaseEstimator):
    """Additive logistic regression: one spline of signed log1p per activity feature."""

    def __init__(self, n_knots: int = 5, degree: int = 3, C: float = 1.0) -> None:
        self.n_knots = n_knots
        self.degree = degree
        self.C = C

    def _columns(self, X: pd.DataFrame) -> np.ndarray:
        """The used features, imputed and on the signed-log scale."""
        values = feature_part(X)[self.features_].to_numpy(dtype=float)
        values = np.where(np.isnan(values), self.medians_, values)
        return signed_log1p(values)

    def _basis(self, X: pd.DataFrame) -> list[np.ndarray]:
        """Per used feature, its spline basis."""
        values = self._columns(X)
        return [spline.transform(values[:, [j]]) for j, spline in enumerate(self.splines_)]

    def fit(self, X: pd.DataFrame, y: Any) -> SplineLogistic:
        """Fit one spline per feature seen in training, then the logistic regression on all bases."""
        target = _binary(y)
        features = feature_part(X)
        self.features_ = [name for name in features.columns if features[name].notna().any()]
        self.medians_ = features[self.features_].median().to_numpy(dtype=float)
        values = self._columns(X)
        self.splines_ = [
            SplineTransformer(n_knots=self.n_knots, degree=self.degree, extrapolation="constant").fit(
                values[:, [j]]
            )
            for j in range(values.shape[1])
        ]
        bases = self._basis(X)
        self.widths_ = [basis.shape[1] for basis in bases]
        self.model_ = LogisticRegression(C=self.C, solver="newton-cholesky", max_iter=200).fit(
            np.hstack(bases), target
        )
        self.classes_ = np.array([0, 1])
        return self

    def terms(self, X: pd.DataFrame) -> np.ndarray:
        """Per row and used feature, that feature's term of the log-odds (they add up with intercept_)."""
        check_is_fitted(self, "model_")
        coefs = np.split(self.model_.coef_[0], np.cumsum(self.widths_)[:-1])
        return np.column_stack([basis @ coef for basis, coef in zip(self._basis(X), coefs, strict=True)])

    @property
    def intercept_(self) -> float:
        """The constant of the log-odds."""
        return float(self.model_.intercept_[0])

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Log-odds of dropping out: the sum of the terms and the intercept."""
        return self.terms(X).sum(axis=1) + self.intercept_

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities of [stayed, dropped out] (before calibration)."""
        positive = expit(self.decision_function(X))
        return np.column_stack([1 - positive, positive])


class UsedFeatures(TransformerMixin, BaseEstimator):
    """The activity-feature columns that are not missing throughout the training rows."""

    def fit(self, X: pd.DataFrame, y: Any = None) -> UsedFeatures:
        """Remember the features seen in training."""
        features = feature_part(X)
        self.features_ = [name for name in features.columns if features[name].notna().any()]
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The used features as a float array (NaN kept: the trees handle it)."""
        check_is_fitted(self, "features_")
        return feature_part(X)[self.features_].to_numpy(dtype=float)


def _boosting(seed: int) -> Pipeline:
    model = SerialHGBClassifier(
        learning_rate=0.08,
        max_iter=150,
        max_leaf_nodes=15,
        min_samples_leaf=60,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )
    return Pipeline([("features", UsedFeatures()), ("model", model)])


def _sequence(seed: int) -> Any:
    from modelling.early_warning.sequence import KerasSequenceClassifier  # TensorFlow only when used

    return KerasSequenceClassifier(seed=seed)


def build(name: str, seed: int = 0, members: tuple[str, ...] = ENSEMBLE_MEMBERS) -> Any:
    """An unfitted early-warning candidate (the ensemble of `members`)."""
    if name == "spline_logistic":
        return PlattCalibrated(SplineLogistic(), seed=seed)
    if name == "gradient_boosting":
        return PlattCalibrated(_boosting(seed), seed=seed)
    if name == "keras_sequence":
        return _sequence(seed)
    if name == ENSEMBLE:
        return LogitAverageClassifier([(member, build(member, seed)) for member in members])
    raise KeyError(f"Unknown early-warning candidate {name!r}.")
