"""Custom scikit-learn estimators the candidates are built from: boosting held to one native thread,
a regressor clipped to the score's scale, a random forest calibrated on its out-of-bag votes and an
average of classifiers in log-odds."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.isotonic import IsotonicRegression
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

from modelling.outcomes import Score

SCORE_RANGE = Score().scale


@cache
def threads() -> ThreadpoolController:
    """One controller of the native thread pools (OpenMP, BLAS) per process."""
    return ThreadpoolController()


def _one_thread() -> Any:
    """A context in which OpenMP (the boosting trees' thread pool) runs on one thread."""
    return threads().limit(limits=1, user_api="openmp")


class SerialHGBClassifier(HistGradientBoostingClassifier):
    """HistGradientBoostingClassifier fitting and predicting on one OpenMP thread.

    Serving processes share few cores: OpenMP threads waiting for each other there cost more than
    they give (docs/performance.md has the figures)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **params: Any) -> SerialHGBClassifier:
        """Fit on one thread."""
        with _one_thread():
            return super().fit(X, y, sample_weight=sample_weight, **params)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class, on one thread."""
        with _one_thread():
            return super().predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, on one thread."""
        with _one_thread():
            return super().predict_proba(X)

    def decision_function(self, X: Any) -> np.ndarray:
        """Raw (log-odds) predictions, on one thread."""
        with _one_thread():
            return super().decision_function(X)


class SerialHGBRegressor(HistGradientBoostingRegressor):
    """HistGradientBoostingRegressor fitting and predicting on one OpenMP thread (see SerialHGBClassifier)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **params: Any) -> SerialHGBRegressor:
        """Fit on one thread."""
        with _one_thread():
            return super().fit(X, y, sample_weight=sample_weight, **params)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions, on one thread."""
        with _one_thread():
            return super().predict(X)


class ClippedRegressor(RegressorMixin, BaseEstimator):
    """A regressor whose predictions are clipped to [low, high]."""

    def __init__(self, regressor: Any, low: float = SCORE_RANGE[0], high: float = SCORE_RANGE[1]) -> None:
        self.regressor = regressor
        self.low = low
        self.high = high

    def fit(self, X: Any, y: Any) -> ClippedRegressor:
        """Fit a clone of the wrapped regressor."""
        self.regressor_ = clone(self.regressor).fit(X, y)
        self.n_features_in_ = getattr(self.regressor_, "n_features_in_", np.shape(X)[1])
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Clipped predictions."""
        check_is_fitted(self, "regressor_")
        return np.clip(self.regressor_.predict(X), self.low, self.high)


class OOBCalibratedForest(ClassifierMixin, BaseEstimator):
    """Random forest calibrated by isotonic regression on its out-of-bag votes; n_jobs=1 at inference."""

    def __init__(
        self,
        n_estimators: int = 100,
        min_samples_leaf: int = 20,
        max_features: int | float | str = "sqrt",
        fit_jobs: int = 2,
        random_state: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.fit_jobs = fit_jobs
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> OOBCalibratedForest:
        """Grow the forest, then fit the calibration map on its out-of-bag probabilities."""
        forest = RandomForestClassifier(
            n_estimators=self.n_estimators,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            oob_score=True,
            n_jobs=self.fit_jobs,
            random_state=self.random_state,
        ).fit(X, y)
        votes = forest.oob_decision_function_[:, 1]
        seen = ~np.isnan(votes)
        self.calibrator_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
            votes[seen], np.asarray(y)[seen]
        )
        forest.set_params(n_jobs=1)
        self.forest_ = forest
        self.classes_ = forest.classes_
        self.n_features_in_ = forest.n_features_in_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities of [negative, positive] class."""
        check_is_fitted(self, "forest_")
        positive = self.calibrator_.predict(self.forest_.predict_proba(X)[:, 1])
        return np.column_stack([1 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class."""
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def _mean_log_odds(probabilities: list[np.ndarray]) -> np.ndarray:
    """Mean of the log-odds of several probability vectors."""
    return np.mean([logit(np.clip(p, 1e-9, 1 - 1e-9)) for p in probabilities], axis=0)


def average_log_odds(probabilities: list[np.ndarray]) -> np.ndarray:
    """The probability whose log-odds are the mean of the members' log-odds."""
    return expit(_mean_log_odds(probabilities))


class LogitAverageClassifier(ClassifierMixin, BaseEstimator):
    """Averages the log-odds of member classifiers (additive members give an additive ensemble)."""

    def __init__(self, members: list[tuple[str, Any]]) -> None:
        self.members = members

    def fit(self, X: Any, y: Any) -> LogitAverageClassifier:
        """Fit a clone of every member."""
        self.members_ = [(name, clone(member).fit(X, y)) for name, member in self.members]
        self.classes_ = self.members_[0][1].classes_
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Mean log-odds of the positive class over the members."""
        check_is_fitted(self, "members_")
        return _mean_log_odds([member.predict_proba(X)[:, 1] for _, member in self.members_])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of [negative, positive] class."""
        positive = expit(self.decision_function(X))
        return np.column_stack([1 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class."""
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
